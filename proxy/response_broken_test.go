package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// rawUpstream is a byte-level upstream: for every request it writes head
// (status line and headers, without the blank line) and body, then closes
// the connection, with a reset if reset is set. It writes exactly what it
// is given: a chunked body may lack its terminating chunk, a
// Content-Length may promise more than comes.
func rawUpstream(t *testing.T, head, body string, reset bool) string {
	return rawServer(t, func(conn net.Conn) {
		io.WriteString(conn, head+"\r\n\r\n"+body)
		if reset {
			conn.(*net.TCPConn).SetLinger(0)
		}
	})
}

// rawServer is a loopback server that reads each request and hands the
// connection to answer, closing it after.
func rawServer(t *testing.T, answer func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				answer(conn)
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// chunk frames s as one HTTP/1.1 chunk.
func chunk(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }

const twoEvents = "id: 1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n" +
	"id: 2\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":2}}\n\n"

// fetch sends method to url and reads the whole answer: what came, and
// the error that ended it (nil for a clean end).
func fetch(t *testing.T, client *http.Client, method, url string) (string, error) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`)
	}
	req, _ := http.NewRequest(method, url+"/mcp", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return string(got), err
}

// TestUpstreamBreakBreaksTheClient cuts the upstream's body mid-stream in
// every framing the proxy forwards (an SSE stream chunked or
// close-delimited to the client, a JSON answer, another body), by a
// missing last chunk, a short Content-Length or a reset. The client must
// see a broken response through the proxy, as it does directly (it once
// saw a clean end and never took its reconnect path), with the bytes that
// came; and a clean upstream end must stay a clean end.
func TestUpstreamBreakBreaksTheClient(t *testing.T) {
	sse := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked"
	cases := []struct {
		name, method, head, body string
		reset, broken, stream    bool
	}{
		{"SSE POST, no last chunk", "POST", sse, chunk(twoEvents), false, true, true},
		{"SSE POST, reset", "POST", sse, chunk(twoEvents), true, true, true},
		{"SSE GET (close-delimited to the client), no last chunk", "GET", sse, chunk(twoEvents), false, true, true},
		{"SSE POST, clean end", "POST", sse, chunk(twoEvents) + "0\r\n\r\n", false, false, true},
		{"SSE GET, clean end", "GET", sse, chunk(twoEvents) + "0\r\n\r\n", false, false, true},
		{"SSE GET, malformed chunk framing", "GET", sse, chunk(twoEvents) + "zz\r\n", false, true, true},
		{"SSE GET, events in many chunks, clean end", "GET", sse, chunk(twoEvents[:7]) + chunk(twoEvents[7:]) + "0;x=y\r\n\r\n", false, false, true},
		{"JSON, short Content-Length", "POST", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100",
			`{"jsonrpc":"2.0","id":1,"result":{`, false, true, false},
		{"JSON, chunked, no last chunk", "POST", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
			chunk(`{"jsonrpc":"2.0","id":1,"result":{`), false, true, false},
		{"other body, no last chunk", "POST", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked",
			chunk("some text"), false, true, false},
		{"other body, clean end", "POST", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked",
			chunk("some text") + "0\r\n\r\n", false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up := rawUpstream(t, c.head, c.body, c.reset)
			direct := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			wantBody, directErr := fetch(t, direct, c.method, up)
			if (directErr != nil) != c.broken {
				t.Fatalf("the upstream itself ends with %v; the test expects broken=%v", directErr, c.broken)
			}
			hs := startProxy(t, up, nil)
			gotBody, err := fetch(t, hs.Client, c.method, hs.URL)
			switch {
			case c.broken && err == nil:
				t.Errorf("through mcpscope the response ended cleanly after %q; directly it broke (%v)", gotBody, directErr)
			case !c.broken && err != nil:
				t.Errorf("through mcpscope a clean end broke: %v", err)
			}
			if !strings.HasPrefix(wantBody, gotBody) || (c.stream || !c.broken) && gotBody != wantBody {
				t.Errorf("client got %q, directly %q", gotBody, wantBody)
			}
			if !c.stream {
				if c.broken {
					if notices := hs.Seen.Await(t, 1, isBreak); len(notices) != 1 {
						t.Errorf("%d break notices, want 1", len(notices))
					}
					return
				}
				// A notice would be published before the response ended;
				// the http observation of a later exchange is published
				// after, so once it is seen, so would the notice be.
				fetch(t, hs.Client, c.method, hs.URL)
				if got := hs.Seen.Await(t, 2, isHTTP); len(got) != 2 {
					t.Fatalf("%d http observations, want 2", len(got))
				}
				if notices := hs.Seen.Matching(isBreak); len(notices) != 0 {
					t.Errorf("a clean end was told as a break: %v", notices[0].Reason)
				}
				return
			}
			closed := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamClosed })
			if len(closed) != 1 {
				t.Fatalf("%d stream_closed observations", len(closed))
			}
			broke := closed[0].Has(proxy.FlagUpstreamBroke) && strings.HasPrefix(closed[0].Reason, "upstream broke: ")
			if broke != c.broken {
				t.Errorf("stream_closed reason %q flags %v; want the break flagged only when broken", closed[0].Reason, closed[0].Flags)
			}
		})
	}
}

func isHTTP(o *proxy.Observation) bool { return o.Type == proxy.TypeHTTP }

func isBreak(o *proxy.Observation) bool {
	return o.Type == proxy.TypeNotice && o.Has(proxy.FlagUpstreamBroke)
}

// fetchHTTP10 posts a tools/call to url over HTTP/1.0, to which a body of
// unknown length goes close-delimited (no chunking), and reads the whole
// answer: what came, and the error that ended it (nil for a clean end).
func fetchHTTP10(t *testing.T, url string) (string, error) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`
	fmt.Fprintf(conn, "POST /mcp HTTP/1.0\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n%s",
		strings.TrimPrefix(url, "http://"), len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response head: %v", err)
	}
	defer resp.Body.Close()
	if resp.ContentLength >= 0 || len(resp.TransferEncoding) > 0 {
		t.Fatalf("the answer to HTTP/1.0 has length %d, encoding %v; the test needs it close-delimited", resp.ContentLength, resp.TransferEncoding)
	}
	got, err := io.ReadAll(resp.Body)
	return string(got), err
}

// TestUpstreamBreakBreaksAnHTTP10Client: to an HTTP/1.0 client the answer
// goes close-delimited, so aborting it would end it cleanly at the close.
// When the upstream breaks off, the client must see its connection reset,
// in every path (SSE, JSON, other bodies); a clean end stays clean.
func TestUpstreamBreakBreaksAnHTTP10Client(t *testing.T) {
	cases := []struct {
		name, head, body, want string
		broken                 bool
	}{
		{"SSE, no last chunk", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked", chunk(twoEvents), twoEvents, true},
		{"JSON, no last chunk", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
			chunk(`{"jsonrpc":"2.0","id":1,"result":{`), `{"jsonrpc":"2.0","id":1,"result":{`, true},
		{"other body, no last chunk", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked", chunk("some text"), "some text", true},
		{"other body, clean end", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked",
			chunk("some text") + "0\r\n\r\n", "some text", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := startProxy(t, rawUpstream(t, c.head, c.body, false), nil)
			got, err := fetchHTTP10(t, hs.URL)
			if c.broken && err == nil {
				t.Errorf("the HTTP/1.0 client saw a clean end after %q; the upstream broke off", got)
			}
			if !c.broken && err != nil {
				t.Errorf("a clean end broke: %v", err)
			}
			if got != c.want {
				t.Errorf("client got %q, want %q", got, c.want)
			}
		})
	}
}
