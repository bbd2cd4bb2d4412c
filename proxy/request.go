package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/proxy/store"
)

// exchange is one client request on its way through the proxy.
type exchange struct {
	id        string // names the exchange in observations
	scope     string // session the request belongs to: Mcp-Session-Id, legacy sessionId, or the client connection
	body      []byte
	edited    bool   // a rule or a breakpoint edit changed body: the headers mirroring it are recomputed (mcpheaders.go)
	firstID   string // the id of the first request in the body, for error answers
	started   time.Time
	http      *HTTPExchange
	published bool           // the http observation is out
	local     outcome        // what the rules answer instead of forwarding, if anything
	session   *store.Session // the mapped session the request names, if any
	resume    *resumeState   // a GET resuming from an id the proxy minted
	target    *url.URL       // the upstream the request went to
	revision  string         // the protocol revision the request speaks (revision.go)
	resend    resendMark     // mcpscope re-sends this request (resend.go)

	// The upstream request's context ends with the client's request
	// (followClient), unless the stream detaches from it to drain into its
	// replay log; endUpstream ends it when the handler returns.
	followClient func() bool
	endUpstream  func()

	// A long-lived GET stream's upstream context: it outlives the handler
	// once the stream is handed over to a goroutine of its own (handover.go),
	// which then ends it; handedOff tells the handler it did.
	streamCtx context.Context
	handedOff bool
}

const headerSessionID = "Mcp-Session-Id"

// requestScope names the session a request belongs to before the upstream
// answers: its Mcp-Session-Id, the legacy transport's sessionId parameter,
// or else the client connection (sessionless traffic, and initialize).
func (p *Proxy) requestScope(r *http.Request) string {
	if sid := r.Header.Get(headerSessionID); sid != "" {
		return sid
	}
	if sid := legacySessionID(r.URL.Query()); sid != "" {
		return sid
	}
	if n, ok := r.Context().Value(connIDKey{}).(uint64); ok {
		return "conn-" + strconv.FormatUint(n, 10)
	}
	return "conn-" + r.RemoteAddr
}

// readRequest reads the client's body whole and publishes its messages.
func (p *Proxy) readRequest(w http.ResponseWriter, r *http.Request, held *int64) (*exchange, bool) {
	ex := &exchange{id: "ex-" + strconv.FormatUint(p.exchangeSeq.Add(1), 10), scope: p.requestScope(r), started: time.Now()}
	p.gates.touch(ex.scope, ex.started)
	ex.resend = resendOf(r.Context())
	var ok bool
	if ex.body, ok = p.readBody(w, r, held); !ok { // see request_body.go
		return nil, false
	}
	ex.revision = requestRevision(r, ex.body) // the session's, if it states none, once mapped (roundTrip)
	switch {
	case len(ex.body) > 0 && (p.bus().Active() || p.rules.Load() != nil):
		var body string
		body, ex.firstID, ex.local = p.interceptBody(withMirrorHeaders(r.Context(), r.Header), string(ex.body), place{scope: ex.scope, exchange: ex.id, revision: ex.revision}, ClientToServer)
		if body != string(ex.body) {
			ex.body, ex.edited = []byte(body), true
		}
	case len(ex.body) > 0:
		ex.firstID = firstRequestID(ex.body)
	}
	if p.Propagate != nil && len(ex.body) > 0 && !ex.resend.on { // a re-send is mcpscope's own request, not the client's
		if out := p.Propagate(ex.id, ex.body); !bytes.Equal(out, ex.body) {
			ex.body, ex.edited = out, true
		}
	}
	ex.edited = ex.edited || ex.resend.on // its Mcp-Name and Mcp-Param-* headers are computed from the body (mcpheaders.go)
	return ex, true
}

// firstRequestID returns the id of the first message in body, for error
// answers when nobody observes.
func firstRequestID(body []byte) string {
	msgs, _, ok := jsonrpc.Split(string(body))
	if !ok {
		return ""
	}
	return jsonrpc.Read(msgs[0]).ID
}

func (p *Proxy) publishHTTP(ex *exchange) {
	if ex.published || !p.bus().Active() {
		return
	}
	ex.published = true
	o := &Observation{Type: TypeHTTP, Session: ex.scope, Exchange: ex.id, HTTP: ex.http}
	if ex.resend.on {
		markResent(o, ex.resend.from)
		ex.resend.exchanged.Store(true)
	}
	p.bus().Publish(o)
}

// rawID returns the id text to put in an error answer ("null" when none).
func rawID(id string) string {
	if id == "" {
		return "null"
	}
	return id
}

// writeRPCError answers with a JSON-RPC error object, the shape MCP clients
// read from failed HTTP requests. id is JSON text or empty.
func writeRPCError(w http.ResponseWriter, status int, id string, message string) {
	idText := rawID(id)
	msg, _ := json.Marshal(message)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":%s}}`+"\n", idText, msg)
}

// quoteForMessage quotes untrusted text (a session id) for an error
// message, escaping control characters and bounding its length.
func quoteForMessage(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}
