package proxy

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// panickingBody gives some bytes, then panics, as anything on the way from
// reading a body to forwarding it might.
type panickingBody struct{ given bool }

func (b *panickingBody) Read(p []byte) (int, error) {
	if !b.given {
		b.given = true
		return copy(p, `{"jsonrpc":"2.0",`), nil
	}
	panic("reading the body")
}

func (b *panickingBody) Close() error { return nil }

// TestBodyBudgetSurvivesAPanic: a request that panics while its body is
// read (net/http recovers the handler's panic and goes on serving) gives
// back what the body took of the in-flight budget; otherwise each such
// request would leak its share for the life of the process.
func TestBodyBudgetSurvivesAPanic(t *testing.T) {
	p := New(&url.URL{Scheme: "http", Host: "127.0.0.1:1"})
	for _, length := range []int64{-1, 1 << 20} { // chunked, and announced
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", nil)
		r.Body, r.ContentLength = &panickingBody{}, length
		func() {
			defer func() {
				if v := recover(); v == nil || !strings.Contains(v.(string), "reading the body") {
					t.Fatalf("recovered %v, want the body's panic", v)
				}
			}()
			p.ServeHTTP(httptest.NewRecorder(), r)
		}()
		if held := p.BodiesHeld(); held != 0 {
			t.Fatalf("after a panic reading a body (length %d), %d bytes of the budget are still held", length, held)
		}
	}
}
