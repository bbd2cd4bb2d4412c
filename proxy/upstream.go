package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// The upstream exchange: one request sent upstream exactly once (failover,
// a lost session and a resume conflict aside, where the upstream did not
// process the first attempt), under a context that follows the client's.

// upstreamContext returns the context for the upstream request: it ends
// when the client's request does, or, once detached, when the handler
// returns. Only a POST that may mint ids and drain (see drainer) can
// detach, and a long-lived GET stream, which may be handed over to a
// goroutine of its own (handover.go) that ends it; every other request
// simply uses the client's context. From 2026-07-28 on a POST never drains:
// closing its stream is how the client cancels the request.
func (p *Proxy) upstreamContext(ex *exchange, r *http.Request) context.Context {
	client := r.Context()
	drains := p.ReplayLog != nil && p.DrainFor > 0 && r.Method == http.MethodPost && !modernRevision(ex.revision) && !ex.resend.on // a re-send's client (mcpscope) does not resume
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
	if ex.edited {
		p.mirrorHeaders(out.Header, ex.body)
	}
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
	if ex.revision == "" && ex.session != nil {
		ex.revision = ex.session.ProtocolVersion
	}
	ex.http.Revision = ex.revision
	ex.target = p.upstreamFor(ex)
	retarget(out, ex.target)
	ex.http.URL = out.URL.String()
	if r.Method == http.MethodGet && p.ReplayLog != nil && !modernRevision(ex.revision) { // 2026-07-28 has no resumption
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
		err = p.diagnoseTLS(r.Context(), out.URL, err)
		status, what := upstreamFailure(err)
		msg := "mcpscope: upstream " + out.URL.Host + " " + what + ": " + err.Error() + upstreamAdvice(err)
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
		p.gates.forget(ex.session.ProxyID) // a later request that re-initializes it lists it again
		p.publishSession(ex.session.ProxyID, ex.session.UpstreamID, sessionLost+": "+err.Error())
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
