package proxy_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// trickyStream is an event stream with everything a parser can get wrong,
// as the bytes a server might send.
func trickyStream() []byte {
	var b bytes.Buffer
	b.WriteString("\xEF\xBB\xBF")                                                                                         // a BOM
	b.WriteString(": keepalive comment\n\n")                                                                              // comment-only block
	b.WriteString("retry: 1500\n\n")                                                                                      // retry-only
	b.WriteString("id: only-an-id\n\n")                                                                                   // id-only
	b.WriteString("data:\n\n")                                                                                            // empty-data priming event
	b.WriteString("id: 1\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\r\n\r\n") // CRLF
	b.WriteString("id: 2\revent: message\rdata: line one\rdata: line two\r\r")                                            // CR
	b.WriteString("data: multi\ndata: line\n: inline comment\nunknown: field\ndata\n\n")                                  // mixed
	b.WriteString("id: with\x00nul\ndata: x\n\n")                                                                         // NUL id ignored
	b.WriteString("event: big\ndata: ")
	b.WriteString(strings.Repeat("x", 20<<20)) // a 20 MiB event
	b.WriteString("\n\n")
	b.WriteString("data: after the big one\n\n")
	b.WriteString("data: no blank line at the end") // trailing incomplete block
	return b.Bytes()
}

// TestByteTransparency checks that the client receives exactly the bytes
// the upstream sent, whatever they are and however they were split.
func TestByteTransparency(t *testing.T) {
	want := trickyStream()
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		f := w.(http.Flusher)
		head := bytes.Index(want, []byte("event: big"))
		for i := 0; i < head; i++ { // 1-byte writes for the tricky part
			w.Write(want[i : i+1])
			f.Flush()
		}
		for rest := want[head:]; len(rest) > 0; {
			n := min(len(rest), 7919) // odd sizes, to cross every boundary
			w.Write(rest[:n])
			f.Flush()
			rest = rest[n:]
		}
	}), nil)
	resp, err := hs.Client.Get(hs.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("client received %d bytes, upstream sent %d; first difference at byte %d: got %q want %q",
			len(got), len(want), i, excerpt(got, i), excerpt(want, i))
	}
}

func excerpt(b []byte, i int) []byte {
	return b[i:min(len(b), i+40)]
}

// TestInvalidJSONForwardedAndFlagged checks that a body mcpscope cannot
// parse still reaches the upstream unchanged, and is flagged.
func TestInvalidJSONForwardedAndFlagged(t *testing.T) {
	const body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"" // cut short
	var got []byte
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`)
	}), nil)
	resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if string(got) != body || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("upstream got %q, client status %d; want the bytes unchanged and the upstream's 400", got, resp.StatusCode)
	}
	waitFor(t, func() bool {
		return len(hs.Seen.Matching(func(o *proxy.Observation) bool {
			return o.Direction == proxy.ClientToServer && o.Kind == proxy.KindInvalid && o.Has("invalid_json") && o.Body == body
		})) == 1
	})
}

// TestStreamFraming: an HTTP/1.1 GET stream goes out close-delimited (one
// write per upstream read, the connection closed after it); a POST stream,
// one per call, stays chunked and keeps its connection. The bytes are the
// upstream's either way.
func TestStreamFraming(t *testing.T) {
	const event = "id: 1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\n"
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, event)
	})
	hs := startProxy(t, startUpstream(t, up).URL, nil)
	for _, tc := range []struct {
		method  string
		chunked bool
	}{{http.MethodGet, false}, {http.MethodPost, true}} {
		req, _ := http.NewRequest(tc.method, hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := hs.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != event {
			t.Fatalf("%s: body %q, err %v", tc.method, body, err)
		}
		chunked := len(resp.TransferEncoding) == 1 && resp.TransferEncoding[0] == "chunked"
		if chunked != tc.chunked || resp.Close == tc.chunked {
			t.Errorf("%s: Transfer-Encoding %v, Connection: close %v; want chunked %v", tc.method, resp.TransferEncoding, resp.Close, tc.chunked)
		}
	}
}
