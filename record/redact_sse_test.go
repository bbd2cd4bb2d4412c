package record

import (
	"slices"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/sse"
)

// TestRedactsEventRawWithoutBody: the raw bytes of an SSE event with no
// body of its own (a batch, an unfinished block, an oversized fragment)
// have their secrets redacted too: spliced in place when the data is one
// line, re-encoded when it spans several, dropped and flagged raw_redacted
// when it cannot be redacted reliably.
func TestRedactsEventRawWithoutBody(t *testing.T) {
	for _, tc := range []struct {
		name, raw, want string
		flags           []string
	}{
		{name: "batch", raw: "id: 7\ndata: [{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"password\":\"X1\"}}]\n\n",
			want: "id: 7\ndata: [{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"password\":\"[redacted]\"}}]\n\n"},
		{name: "batch over lines", raw: "event: message\r\nid: 8\r\n: note\r\ndata: [{\"params\":\r\ndata: {\"password\":\"X2\"}}]\r\n\r\n",
			want: "id: 8\nevent: message\ndata: [{\"params\":\ndata: {\"password\":\"[redacted]\"}}]\n\n"},
		{name: "unfinished", raw: "data: {\"token\":\"X3\"}", want: "data: {\"token\":\"[redacted]\"}"},
		{name: "unfinished over lines", raw: "data: {\"token\":\ndata: \"X4\"}\n", want: "", flags: []string{"raw_redacted"}},
		{name: "oversized fragment", raw: "data: {\"password\":\"X5", want: "", flags: []string{"oversized", "partial", "raw_redacted"}},
		{name: "no secret", raw: "data: [{\"x\":1}]\n\n", want: "data: [{\"x\":1}]\n\n"},
	} {
		o := &proxy.Observation{Type: proxy.TypeSSEEvent, Raw: tc.raw}
		if slices.Contains(tc.flags, "oversized") {
			o.Flags = []string{"oversized", "partial"}
		}
		got := NewRedactor(nil).Apply(o)
		if got.Raw != tc.want || !slices.Equal(got.Flags, tc.flags) {
			t.Errorf("%s: raw %q flags %v\nwant %q flags %v", tc.name, got.Raw, got.Flags, tc.want, tc.flags)
		}
		if o.Raw != tc.raw {
			t.Errorf("%s: the shared observation was modified", tc.name)
		}
	}
}

// TestRedactsEventRawEveryCopy: when the body's text appears in the raw
// bytes more than once (a comment line carrying it too), no copy of the
// secret is left: the event is re-encoded from its fields.
func TestRedactsEventRawEveryCopy(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"result":{"token":"X6"}}`
	raw := ": " + body + "\nid: 1\ndata: " + body + "\n\n"
	start := strings.LastIndex(raw, body)
	o := &proxy.Observation{Type: proxy.TypeSSEEvent, Raw: raw, Body: raw[start : start+len(body)]}
	got := NewRedactor(nil).Apply(o)
	if strings.Contains(got.Raw, "X6") || strings.Contains(got.Body, "X6") {
		t.Fatalf("the secret is left: raw %q body %q", got.Raw, got.Body)
	}
	want := string(sse.AppendEvent(nil, sse.Event{ID: "1", Data: `{"jsonrpc":"2.0","id":1,"result":{"token":"[redacted]"}}`}))
	if got.Raw != want {
		t.Errorf("raw %q, want %q", got.Raw, want)
	}
}
