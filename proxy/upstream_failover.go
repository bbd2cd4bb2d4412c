package proxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Failover. With Fallbacks set, the proxy has several upstreams, in order.
// A session lives on the upstream that created it (its store record names
// it). When that upstream cannot be reached — the connection is refused, so
// the request certainly never arrived — the proxy re-runs the session's
// recorded initialize on the next upstream that answers, remaps the same
// proxy session there, and sends the request once, so the client keeps
// working. A request without a session (initialize, sessionless traffic)
// simply goes to the next upstream. New sessions then start on the upstream
// that last answered. Sessions stay where they moved: an upstream that comes
// back is used again only for new sessions once the one in use fails.
// The legacy HTTP+SSE transport does not fail over (its message URL names
// one server).

// upstreams returns every upstream, the primary first.
func (p *Proxy) upstreams() []*url.URL {
	return append([]*url.URL{p.Upstream}, p.Fallbacks...)
}

// upstreamFor returns the upstream a request goes to: its session's, or
// the one new sessions use.
func (p *Proxy) upstreamFor(ex *exchange) *url.URL {
	all := p.upstreams()
	if ex.session != nil && ex.session.UpstreamURL != "" {
		for _, u := range all {
			if u.String() == ex.session.UpstreamURL {
				return u
			}
		}
	}
	return all[int(p.active.Load())%len(all)]
}

// retarget points out at upstream u, keeping its path and query.
func retarget(out *http.Request, u *url.URL) {
	out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
}

// refused reports whether err says the upstream could not be reached at
// all (so it never saw the request).
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// upstreamDown reports whether a request that failed with err on upstream
// u may go to the next upstream: the connection was refused, or a kept-alive
// connection broke before any answer (the transport does not resend a POST
// then, as it may have arrived) and u now refuses new connections — it died
// with the request unanswered, and its sessions with it.
func (p *Proxy) upstreamDown(err error, u *url.URL) bool {
	if refused(err) {
		return true
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) && !closedIdle(err) {
		return false
	}
	c, derr := net.DialTimeout("tcp", hostPort(u), time.Second)
	if derr == nil {
		c.Close()
		return false
	}
	return true
}

// closedIdle reports whether err is net/http's "server closed idle
// connection": the kept-alive connection was closed by the upstream just as
// the request went out on it, and the transport does not resend a POST. The
// error is not exported, so its text is what can be matched.
func closedIdle(err error) bool {
	return strings.Contains(err.Error(), "server closed idle connection")
}

// failover sends out to the upstreams after the one that refused it, in
// turn, moving the request's session along (re-initialized there) when it
// has one. It returns the first answer, or the last error.
func (p *Proxy) failover(r *http.Request, ex *exchange, out *http.Request, err error) (*http.Response, error) {
	all := p.upstreams()
	from := p.upstreamFor(ex)
	start := 0
	for i, u := range all {
		if u == from {
			start = i
		}
	}
	_, cause := upstreamFailure(err)
	for n := 1; n < len(all); n++ {
		i := (start + n) % len(all)
		u := all[i]
		retry := out.Clone(out.Context())
		retarget(retry, u)
		if len(ex.body) > 0 {
			retry.Body = io.NopCloser(bytes.NewReader(ex.body))
		}
		if ex.session != nil {
			upstreamID, rerr := p.reinitialize(out.Context(), r, ex.session, u, "its upstream "+from.Host+" "+cause)
			if rerr != nil {
				err = rerr
				continue
			}
			param, _ := legacySessionParam(r.URL.Query())
			setUpstreamSession(retry, param, upstreamID)
			ex.session.UpstreamID, ex.session.UpstreamURL = upstreamID, u.String()
		}
		resp, rerr := p.transport().RoundTrip(retry)
		if rerr == nil {
			p.active.Store(int32(i))
			ex.target, ex.http.URL = u, retry.URL.String()
			return resp, nil
		}
		if err = rerr; !p.upstreamDown(rerr, u) {
			return nil, rerr
		}
	}
	return nil, err
}
