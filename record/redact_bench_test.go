package record

import (
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// BenchmarkRedactMessage measures the default redaction of a message with
// nothing to redact: a progress notification and a 16 KiB tool result
// whose text is JSON (a quote every few bytes) or padding (as
// internal/benchproc sends); and, 16KiB-secret, one with a secret to
// redact, which the walk must read whole.
func BenchmarkRedactMessage(b *testing.B) {
	text := strings.Repeat(`{\"k\":\"v\",\"n\":12}, `, 16<<10/20)
	for name, body := range map[string]string{
		"progress":     `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":7,"total":100,"message":"step 7 of 100"}}`,
		"16KiB":        `{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"` + text[:16<<10-100] + `"}]}}`,
		"16KiB-plain":  `{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"` + strings.Repeat("x", 16<<10-100) + `"}]}}`,
		"16KiB-secret": `{"jsonrpc":"2.0","id":3,"result":{"token":"t","content":[{"type":"text","text":"` + text[:16<<10-100] + `"}]}}`,
	} {
		b.Run(name, func(b *testing.B) {
			r := NewRedactor(nil)
			o := &proxy.Observation{Type: proxy.TypeSSEEvent, Body: body}
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if (r.Apply(o) != o) != strings.HasSuffix(name, "secret") {
					b.Fatal("redacted, or not")
				}
			}
		})
	}
}
