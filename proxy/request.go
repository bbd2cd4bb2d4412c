package proxy

import (
	"mcpscope/jsonrpc"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mcpscope/proxy/store"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// exchange is one client request on its way through the proxy.
type exchange struct {
	id        string // names the exchange in observations
	scope     string // session the request belongs to: Mcp-Session-Id, legacy sessionId, or the client connection
	body      []byte
	firstID   string // the id of the first request in the body, for error answers
	started   time.Time
	http      *HTTPExchange
	published bool           // the http observation is out
	local     outcome        // what the rules answer instead of forwarding, if anything
	session   *store.Session // the mapped session the request names, if any
	resume    *resumeState   // a GET resuming from an id the proxy minted
	target    *url.URL       // the upstream the request went to

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

// upstreamContext returns the context for the upstream request: it ends
// when the client's request does, or, once detached, when the handler
// returns. Only a POST that may mint ids and drain (see drainer) can
// detach, and a long-lived GET stream, which may be handed over to a
// goroutine of its own (handover.go) that ends it; every other request
// simply uses the client's context.
func (p *Proxy) upstreamContext(ex *exchange, r *http.Request) context.Context {
	client := r.Context()
	drains := p.ReplayLog != nil && p.DrainFor > 0 && r.Method == http.MethodPost
	if !drains && !longLivedStream(r) {
		return client
	}
	var parent context.Context
	if drains {
		parent = context.WithoutCancel(client)
	} else {
		p.clientConns.probeScope(ex.scope) // the session's stream whose client left ends first
		// A stream handed over keeps its context for as long as it is
		// open: not the server's, which the handler's end cancels (only
		// requestScope reads a value of it, connIDKey, which it keeps).
		parent = connIDOnly(client)
	}
	ctx, cancel := context.WithCancel(parent)
	ex.followClient = context.AfterFunc(client, cancel)
	ex.endUpstream = cancel
	if !drains {
		ex.streamCtx = ctx
	}
	return ctx
}

// connIDOnly returns a context that never ends and holds, of ctx's values,
// only its client connection's number (connIDKey): what a stream handed
// over keeps of the server's context.
func connIDOnly(ctx context.Context) context.Context {
	if n, ok := ctx.Value(connIDKey{}).(uint64); ok {
		return context.WithValue(context.Background(), connIDKey{}, n)
	}
	return context.Background()
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
	var ok bool
	if ex.body, ok = p.readBody(w, r, held); !ok { // see body.go
		return nil, false
	}
	switch {
	case len(ex.body) > 0 && (p.bus().Active() || p.rules.Load() != nil):
		var body string
		body, ex.firstID, ex.local = p.interceptBody(r.Context(), string(ex.body), ex.scope, ex.id, ClientToServer)
		if body != string(ex.body) {
			ex.body = []byte(body)
		}
	case len(ex.body) > 0:
		ex.firstID = firstRequestID(ex.body)
	}
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

// hopHeaders are removed from both directions (RFC 9110, section 7.6.1),
// with Accept-Encoding: the proxy asks the upstream for identity encoding
// so that it can read what it forwards.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func removeHopHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
}

// roundTrip sends the request upstream once. On failure it answers the
// client (502, or 504 on a header timeout) unless the client is gone.
func (p *Proxy) roundTrip(w http.ResponseWriter, r *http.Request, ex *exchange) (*http.Response, bool) {
	target := *p.Upstream
	target.Path, target.RawPath, target.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	out, err := http.NewRequestWithContext(p.upstreamContext(ex, r), r.Method, target.String(), bytes.NewReader(ex.body))
	if err != nil {
		writeRPCError(w, http.StatusBadGateway, ex.firstID, "mcpscope: building upstream request: "+err.Error())
		return nil, false
	}
	out.Header = r.Header.Clone()
	removeHopHeaders(out.Header)
	out.Header.Del("Accept-Encoding")
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = nil // don't add Go's
	}
	if len(ex.body) == 0 {
		out.Body, out.GetBody, out.ContentLength = http.NoBody, nil, 0
	}
	ex.http = &HTTPExchange{Method: r.Method, URL: target.String(), RequestBody: len(ex.body), Started: ex.started}
	if !p.mapRequest(w, r, ex, out) {
		return nil, false
	}
	ex.target = p.upstreamFor(ex)
	retarget(out, ex.target)
	ex.http.URL = out.URL.String()
	if r.Method == http.MethodGet && p.ReplayLog != nil {
		if id, ok := parseMintedID(out.Header.Get("Last-Event-ID")); ok {
			ex.resume = p.prepareResume(r.Context(), id, out)
		}
	}
	if p.bus().Active() {
		ex.http.RequestHeaders = out.Header.Clone()
	}

	var resp *http.Response
	if ex.resume != nil && ex.resume.localOnly {
		resp = logOnlyResponse() // the upstream gave no ids: it cannot resume
	} else {
		resp, err = p.transport().RoundTrip(out)
		if err != nil && len(p.Fallbacks) > 0 && r.Context().Err() == nil && p.upstreamDown(err, ex.target) {
			resp, err = p.failover(r, ex, out, err)
		}
	}
	if err == nil && ex.session != nil && r.Method != http.MethodDelete && lostSession(resp) {
		resp, err = p.retryAfterLoss(r, ex, out, resp)
	}
	if err == nil && resumeConflict(out, resp) {
		resp, err = p.retryResumeConflict(r.Context(), out, resp)
	}
	ex.http.HeaderLatency = time.Since(ex.started)
	if err != nil {
		if r.Context().Err() != nil {
			ex.http.Error = "client disconnected before the upstream answered"
			p.publishHTTP(ex)
			return nil, false
		}
		status, what := upstreamFailure(err)
		msg := "mcpscope: upstream " + out.URL.Host + " " + what + ": " + err.Error()
		ex.http.Error, ex.http.Status = msg, status
		p.publishHTTP(ex)
		writeRPCError(w, status, ex.firstID, msg)
		return nil, false
	}
	ex.http.Status = resp.StatusCode
	ex.http.ContentType = resp.Header.Get("Content-Type")
	if p.bus().Active() {
		ex.http.ResponseHeaders = resp.Header.Clone()
	}
	if err := p.mapResponse(r.Context(), ex, resp); err != nil {
		resp.Body.Close()
		ex.http.Error = "session store: " + err.Error()
		p.publishHTTP(ex)
		writeRPCError(w, http.StatusServiceUnavailable, ex.firstID, "mcpscope: the session store is unavailable, try again: "+err.Error())
		return nil, false
	}
	if r.Method == http.MethodDelete {
		p.forgetSession(r.Context(), ex, resp)
	}
	p.publishHTTP(ex)
	return resp, true
}

// retryAfterLoss re-initializes a session the upstream lost and sends the
// request again, once, on the new upstream session. The upstream did not
// process the first attempt (it did not know the session), so the request
// still reaches it exactly once. If re-initializing fails, the client gets
// the upstream's answer.
func (p *Proxy) retryAfterLoss(r *http.Request, ex *exchange, out *http.Request, lost *http.Response) (*http.Response, error) {
	upstreamID, err := p.reinitialize(r.Context(), r, ex.session, p.upstreamFor(ex), "the upstream had lost session "+ex.session.UpstreamID)
	if err != nil {
		p.logger().Warn("re-initializing a lost session", "session", ex.session.ProxyID, "err", err)
		return lost, nil
	}
	lost.Body.Close()
	retry := out.Clone(out.Context())
	if len(ex.body) > 0 {
		retry.Body = io.NopCloser(bytes.NewReader(ex.body))
	}
	param, _ := legacySessionParam(r.URL.Query())
	setUpstreamSession(retry, param, upstreamID)
	ex.session.UpstreamID = upstreamID
	return p.transport().RoundTrip(retry)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout() && !errors.Is(err, context.Canceled)
}

func (p *Proxy) publishHTTP(ex *exchange) {
	if ex.published || !p.bus().Active() {
		return
	}
	ex.published = true
	p.bus().Publish(&Observation{Type: TypeHTTP, Session: ex.scope, Exchange: ex.id, HTTP: ex.http})
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
