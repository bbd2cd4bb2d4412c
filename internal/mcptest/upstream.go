package mcptest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
)

// Upstream is a demo server ([mcpserver.New]) on an httptest server bound to
// 127.0.0.1, which records every HTTP request it receives.
type Upstream struct {
	// URL is the MCP endpoint: "http://127.0.0.1:<port>/mcp", or ".../sse"
	// for LegacySSE.
	URL    string
	Kind   mcpserver.Kind
	Server *mcp.Server

	srv       *httptest.Server
	handler   atomic.Pointer[http.Handler] // swapped by Restart
	connState atomic.Pointer[func(net.Conn, http.ConnState)]
	once      sync.Once
	mu        sync.Mutex
	reqs      []HTTPRequest
	old       []*mcp.Server // servers replaced by Restart, closed with the upstream
}

// HTTPRequest is one HTTP request as the upstream received it.
type HTTPRequest struct {
	Method   string // GET, POST or DELETE
	Host     string
	Header   http.Header
	Session  string    // Mcp-Session-Id header, or the legacy ?sessionid= parameter
	Messages []Message // the JSON-RPC messages of a POST body
	Body     string    // the POST body as received
	Proto    int       // the HTTP major version: 1, or 2 over HTTP/2
}

// Message is a JSON-RPC message from a POST body.
type Message struct {
	Method string // empty for a response
	ID     string // the id as compact JSON text, e.g. `3` or `"a"`; empty for a notification
}

// StartUpstream starts an upstream of the given kind; t.Cleanup closes it.
func StartUpstream(t testing.TB, kind mcpserver.Kind) *Upstream {
	t.Helper()
	return startUpstream(t, kind, nil, false)
}

// StartUpstreamTLS starts an upstream of the given kind serving https with
// cfg (its certificate, and its demands on clients'); with http2 it offers
// HTTP/2 (ALPN "h2") besides HTTP/1.1. URL is then "https://...".
func StartUpstreamTLS(t testing.TB, kind mcpserver.Kind, cfg *tls.Config, http2 bool) *Upstream {
	t.Helper()
	return startUpstream(t, kind, cfg, http2)
}

func startUpstream(t testing.TB, kind mcpserver.Kind, cfg *tls.Config, http2 bool) *Upstream {
	t.Helper()
	u := &Upstream{Kind: kind, Server: mcpserver.New(mcpserver.Options{})}
	h := mcpserver.Handler(kind, u.Server, mcpserver.Options{})
	u.handler.Store(&h)
	mux := http.NewServeMux()
	mux.Handle(kind.Path(), u.record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*u.handler.Load()).ServeHTTP(w, r)
	})))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ConnState: func(c net.Conn, s http.ConnState) {
		if f := u.connState.Load(); f != nil {
			(*f)(c, s)
		}
	}}}
	if cfg != nil {
		u.srv.TLS = cfg.Clone()
		u.srv.EnableHTTP2 = http2
		u.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes tests make fail on purpose
		u.srv.StartTLS()
	} else {
		u.srv.Start()
	}
	u.URL = u.srv.URL + kind.Path()
	t.Cleanup(u.Close)
	return u
}

// OnConnState calls f on every change of state of the upstream's client
// connections (to count the connections it accepts).
func (u *Upstream) OnConnState(f func(net.Conn, http.ConnState)) {
	u.connState.Store(&f)
}

// Restart replaces the server with a fresh one at the same address, as if
// the process restarted: every session it had is gone (requests naming
// them get 404). Streams still open on the old server end.
func (u *Upstream) Restart() {
	u.mu.Lock()
	old := u.Server
	u.old = append(u.old, old)
	u.Server = mcpserver.New(mcpserver.Options{})
	h := mcpserver.Handler(u.Kind, u.Server, mcpserver.Options{})
	u.mu.Unlock()
	u.handler.Store(&h)
	for ss := range old.Sessions() {
		ss.Close()
	}
}

// Close closes every server session (ending hanging GET and SSE streams),
// then the HTTP server. It is idempotent.
func (u *Upstream) Close() {
	u.once.Do(func() {
		for _, s := range append(u.old, u.Server) {
			for ss := range s.Sessions() {
				ss.Close()
			}
		}
		u.srv.CloseClientConnections()
		u.srv.Close()
	})
}

func (u *Upstream) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := HTTPRequest{Method: r.Method, Host: r.Host, Header: r.Header.Clone(), Session: r.Header.Get("Mcp-Session-Id"), Proto: r.ProtoMajor}
		if rec.Session == "" {
			rec.Session = r.URL.Query().Get("sessionid")
		}
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			rec.Messages, rec.Body = parseMessages(body), string(body)
		}
		u.mu.Lock()
		u.reqs = append(u.reqs, rec)
		u.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// parseMessages returns the messages of a single or batch JSON-RPC body, or
// nil if it is not JSON.
func parseMessages(body []byte) []Message {
	var raw []struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] != '[' {
		body = append(append([]byte{'['}, b...), ']')
	}
	if json.Unmarshal(body, &raw) != nil {
		return nil
	}
	msgs := make([]Message, len(raw))
	for i, m := range raw {
		msgs[i].Method = m.Method
		if len(m.ID) > 0 && string(m.ID) != "null" {
			var b bytes.Buffer
			if json.Compact(&b, m.ID) == nil {
				msgs[i].ID = b.String()
			}
		}
	}
	return msgs
}

// Requests returns the HTTP requests received so far, in arrival order.
func (u *Upstream) Requests() []HTTPRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]HTTPRequest(nil), u.reqs...)
}

// HTTPCount returns how many HTTP requests used the HTTP method m.
func (u *Upstream) HTTPCount(m string) int {
	n := 0
	for _, r := range u.Requests() {
		if r.Method == m {
			n++
		}
	}
	return n
}

// Methods counts the JSON-RPC requests and notifications received, by method.
func (u *Upstream) Methods() map[string]int {
	counts := map[string]int{}
	for _, r := range u.Requests() {
		for _, m := range r.Messages {
			if m.Method != "" {
				counts[m.Method]++
			}
		}
	}
	return counts
}

// Calls counts the JSON-RPC requests (messages with a method and an id) by
// "<session>#<id> <method>". Session is empty for requests sent before a
// session exists (server/discover, initialize) and on a Stateless upstream,
// so ids only identify requests when one client uses the upstream.
func (u *Upstream) Calls() map[string]int {
	return u.count(func(m Message) bool { return m.Method != "" && m.ID != "" })
}

// Responses counts the JSON-RPC responses the client sent (answers to
// server→client requests such as sampling), by "<session>#<id>".
func (u *Upstream) Responses() map[string]int {
	return u.count(func(m Message) bool { return m.Method == "" && m.ID != "" })
}

func (u *Upstream) count(keep func(Message) bool) map[string]int {
	counts := map[string]int{}
	for _, r := range u.Requests() {
		for _, m := range r.Messages {
			if keep(m) {
				key := r.Session + "#" + m.ID
				if m.Method != "" {
					key += " " + m.Method
				}
				counts[key]++
			}
		}
	}
	return counts
}

// Duplicates returns the keys of [Upstream.Calls] and [Upstream.Responses]
// seen more than once, sorted. Empty means every request and response
// reached the upstream exactly once.
func (u *Upstream) Duplicates() []string {
	var dups []string
	for _, counts := range []map[string]int{u.Calls(), u.Responses()} {
		for k, n := range counts {
			if n > 1 {
				dups = append(dups, k)
			}
		}
	}
	sort.Strings(dups)
	return dups
}
