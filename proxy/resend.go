package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/mcpscope/mcpscope/jsonrpc"
)

// Re-send: mcpscope acting as a client. Resend sends one client→server
// message again, as the session's client would, through the proxy's own
// path (ServeHTTP): the session id is mapped to the upstream's, the rules
// judge it, it goes upstream exactly once, and its exchange, its messages
// and its answer are observed as any other, marked FlagResent (with
// ResentFrom, the Seq of the request it re-sends). The answer goes to
// mcpscope, never to the session's client: a re-sent request carries an id
// of its own (ResendIDPrefix and a number), which cannot collide with the
// client's, so its answer links to it alone.

// FlagResent marks the observations of a message mcpscope re-sent: the
// request, its HTTP exchange and its answer.
const FlagResent = "resent"

// ResendIDPrefix starts the JSON-RPC id (a string) of a re-sent request.
const ResendIDPrefix = "mcpscope-resend-"

// MaxResendAnswer bounds the answer Resend keeps to return (the traffic
// list shows it whatever its size).
const MaxResendAnswer = 4 << 20

// ErrResendHTTPOnly says a session is not one Resend can send on.
var ErrResendHTTPOnly = errors.New("re-send works on Streamable HTTP sessions")

// ResendHandler serves, as a client's HTTP requests, the re-sends of the
// stdio sessions it bridges (Proxy.StdioResend).
type ResendHandler interface {
	http.Handler
	// ResendPath returns the path to POST a message of session to, and
	// false when the handler does not serve that session.
	ResendPath(session string) (string, bool)
}

// ResendRequest is what to re-send, and where.
type ResendRequest struct {
	// Session is the session the message belongs to, as observations name
	// it (Observation.Session): a proxy session id, or "conn-N" for
	// sessionless traffic.
	Session string
	// Body is one JSON-RPC request or notification, as the client sent it
	// (or edited). A request's id is replaced by one of mcpscope's.
	Body string
	// From is the Seq of the request re-sent, for ResentFrom (0: none).
	From uint64
	// Path is the path (and query) of the request on the upstream, as the
	// client's went (its HTTPExchange.URL's); "" means the upstream URL's.
	Path string
	// Header holds further headers to send (such as Authorization).
	// Resend sets the session, protocol and content headers itself.
	Header http.Header
}

// ResendResult is what came back.
type ResendResult struct {
	ID     string `json:"id,omitempty"`     // the JSON-RPC id the re-sent request carried (JSON text); "" for a notification
	Status int    `json:"status"`           // the HTTP status of the answer
	Answer string `json:"answer,omitempty"` // the answer (result or error), when one came and fits MaxResendAnswer
	// Failure says why no answer came, for a request that got none (the
	// HTTP error's text, or what happened), "" when it did.
	Failure string `json:"failure,omitempty"`
}

// resendKey marks the context of a re-sent request (resendMark).
type resendKey struct{}

// resendMark is what a re-sent exchange and its messages carry.
type resendMark struct {
	on   bool
	from uint64
	// exchanged is set once the exchange's http observation is out.
	exchanged *atomic.Bool
}

func resendOf(ctx context.Context) resendMark {
	m, _ := ctx.Value(resendKey{}).(resendMark)
	return m
}

// markResent flags o as part of a re-send of the request at seq from.
func markResent(o *Observation, from uint64) {
	if !o.Has(FlagResent) {
		o.Flags = append(o.Flags[:len(o.Flags):len(o.Flags)], FlagResent)
	}
	o.ResentFrom = from
}

// Resend sends req's message to the upstream of its session once, as
// mcpscope (see the comment at the top of this file), and waits for its
// answer (a request's: the result or error with its id; a notification's:
// the HTTP status), or until ctx ends. It refuses a server→client
// message, a batch, and sessions it cannot send on (ErrResendHTTPOnly):
// the legacy HTTP+SSE transport's, whose answers go to the client's
// stream, and stdio sessions but those StdioResend bridges (a wrapped
// session's child belongs to its wrap process). A failed exchange (the
// upstream refused, answered an HTTP error) is no error: the result says
// so, and the traffic shows it.
func (p *Proxy) Resend(ctx context.Context, req ResendRequest) (ResendResult, error) {
	env := jsonrpc.Read(req.Body)
	switch {
	case jsonrpc.IsBatch(req.Body):
		return ResendResult{}, errors.New("re-send takes one message, not a batch")
	case env.Kind != KindRequest && env.Kind != KindNotification:
		return ResendResult{}, fmt.Errorf("only a client's request or notification can be re-sent, not a %s", env.Kind)
	}
	via, err := p.resendVia(&req)
	if err != nil {
		return ResendResult{}, err
	}
	body, id := req.Body, ""
	if env.Kind == KindRequest {
		id = strconv.Quote(ResendIDPrefix + strconv.FormatUint(p.resendSeq.Add(1), 10))
		body = replaceID(req.Body, env.ID, id)
	}
	path := req.Path
	if path == "" {
		path = p.Upstream.RequestURI()
	}
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return ResendResult{}, fmt.Errorf("re-send: the path %q: %w", path, err)
	}
	exchanged := new(atomic.Bool)
	ctx, cancel := context.WithCancel(context.WithValue(ctx, resendKey{}, resendMark{on: true, from: req.From, exchanged: exchanged}))
	defer cancel()
	if n, ok := strings.CutPrefix(req.Session, "conn-"); ok {
		if c, err := strconv.ParseUint(n, 10, 64); err == nil {
			ctx = context.WithValue(ctx, connIDKey{}, c) // sessionless: the rows join the client connection's
		}
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost"+u.RequestURI(), strings.NewReader(body))
	if err != nil {
		return ResendResult{}, fmt.Errorf("re-send: building the request: %w", err)
	}
	r.Host, r.RemoteAddr = "localhost", "mcpscope-resend"
	p.resendHeaders(ctx, r.Header, req, env.Method)
	w := &resendWriter{header: make(http.Header), id: id, found: cancel}
	var res ResendResult
	if err := serveResend(via, w, r); err != nil {
		res = ResendResult{ID: id, Status: w.statusCode(), Failure: err.Error()}
	} else {
		res = w.result(id)
	}
	if res.Failure != "" && !exchanged.Load() {
		// Refused before it went upstream (the session is gone, the
		// store failed, a rule answered with an error status): the
		// failure still shows as an exchange.
		o := &Observation{Type: TypeHTTP, Session: req.Session, HTTP: &HTTPExchange{Method: http.MethodPost, URL: u.RequestURI(),
			Status: res.Status, Error: "re-send: " + res.Failure}}
		markResent(o, req.From)
		p.bus().Publish(o)
	}
	return res, nil
}

// resendVia returns what serves a re-send on req's session (the proxy,
// or for a bridged stdio session StdioResend, req.Path set to its path),
// or why none can.
func (p *Proxy) resendVia(req *ResendRequest) (http.Handler, error) {
	for _, s := range p.Sessions() {
		if s.ID != req.Session || s.Transport == "" {
			continue
		}
		if p.StdioResend != nil {
			if path, ok := p.StdioResend.ResendPath(req.Session); ok {
				req.Path = path
				return p.StdioResend, nil
			}
		}
		return nil, fmt.Errorf("%w and bridged stdio sessions (mcpscope -- CMD): session %s is %s, wrapped", ErrResendHTTPOnly, req.Session, s.Transport)
	}
	return p, p.resendable(*req)
}

// resendable refuses Streamable HTTP sessions Resend cannot send on.
func (p *Proxy) resendable(req ResendRequest) error {
	for _, s := range p.Streams() {
		if s.Session == req.Session && s.Kind == StreamLegacy {
			return fmt.Errorf("%w: session %s uses the legacy HTTP+SSE transport, whose answers go to its client's stream", ErrResendHTTPOnly, req.Session)
		}
	}
	if i := strings.IndexByte(req.Path, '?'); i >= 0 {
		if q, err := url.ParseQuery(req.Path[i+1:]); err == nil {
			if name, _ := legacySessionParam(q); name != "" {
				return fmt.Errorf("%w: %s is a legacy HTTP+SSE message URL, whose answers go to its client's stream", ErrResendHTTPOnly, req.Path)
			}
		}
	}
	return nil
}

// resendHeaders sets the headers of a re-send: the caller's, then the
// session's id, its negotiated protocol version, the content headers, and,
// on 2026-07-28 or later, Mcp-Method (the proxy recomputes Mcp-Name and
// the Mcp-Param-* it can from the body: mirrorHeaders, as for an edit).
func (p *Proxy) resendHeaders(ctx context.Context, h http.Header, req ResendRequest, method string) {
	for k, vs := range req.Header {
		switch ck := http.CanonicalHeaderKey(k); {
		case ck == "Host", ck == "Content-Length", ck == "Content-Type", ck == "Accept", ck == "Accept-Encoding",
			ck == headerSessionID, ck == "Last-Event-Id", ck == headerMcpVersion, ck == headerMcpMethod, ck == headerMcpName:
			// Set below. Mcp-Param-* stay: mirrorHeaders recomputes them
			// for a tool whose tools/list it saw, and leaves them otherwise.
		default:
			h[ck] = append([]string(nil), vs...)
		}
	}
	removeHopHeaders(h)
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	version := bodyRevision([]byte(req.Body))
	if !strings.HasPrefix(req.Session, "conn-") && req.Session != "" {
		h.Set(headerSessionID, req.Session)
		if sess, err := p.sessions().Get(ctx, req.Session); err == nil && sess.ProtocolVersion != "" && version == "" {
			version = sess.ProtocolVersion
		}
		if version == "" {
			for _, s := range p.Sessions() {
				if s.ID == req.Session {
					version = s.Protocol
				}
			}
		}
	}
	if version != "" {
		h.Set(headerMcpVersion, version)
	}
	if modernRevision(version) {
		h.Del(headerSessionID)
		h.Set(headerMcpMethod, plainValue(method))
	}
}

// replaceID returns text with its id (idText, a substring of text as
// jsonrpc.Read found it) replaced by id.
func replaceID(text, idText, id string) string {
	off := int(uintptr(unsafe.Pointer(unsafe.StringData(idText))) - uintptr(unsafe.Pointer(unsafe.StringData(text))))
	return text[:off] + id + text[off+len(idText):]
}

// serveResend runs the proxy's path (or the bridge's) for a re-send. A rule that cuts the
// stream aborts the handler (http.ErrAbortHandler): that is the failure.
func serveResend(h http.Handler, w *resendWriter, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok && errors.Is(e, http.ErrAbortHandler) {
				err = errors.New("the answer was cut off (a rule cut the stream)")
				return
			}
			panic(v)
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}

// readAnswer returns the message of a JSON body or an SSE stream that
// answers id, if any.
func answerIn(msgs []string, id string) (string, bool) {
	for _, m := range msgs {
		env := jsonrpc.Read(m)
		if (env.Kind == KindResult || env.Kind == KindError) && env.ID == id {
			return m, true
		}
	}
	return "", false
}
