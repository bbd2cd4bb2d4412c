package proxy

import (
	"net/http"
	"strings"
	"testing"
)

func TestModernRevision(t *testing.T) {
	for v, want := range map[string]bool{
		"2026-07-28": true, "2027-01-01": true, "2025-11-25": false, "2024-11-05": false,
		"": false, "zzzz-zz-zz": false, "2026-7-28": false, "2026-07-28x": false,
	} {
		if got := modernRevision(v); got != want {
			t.Errorf("modernRevision(%q) = %v", v, got)
		}
	}
}

// TestRequestRevision: the header first, else the body's _meta.
func TestRequestRevision(t *testing.T) {
	meta := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`)
	r, _ := http.NewRequest(http.MethodPost, "http://x/mcp", strings.NewReader(""))
	if got := requestRevision(r, meta); got != "2026-07-28" {
		t.Errorf("from _meta: %q", got)
	}
	if got := requestRevision(r, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)); got != "" {
		t.Errorf("none stated: %q", got)
	}
	r.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if got := requestRevision(r, meta); got != "2025-11-25" {
		t.Errorf("the header comes first: %q", got)
	}
}
