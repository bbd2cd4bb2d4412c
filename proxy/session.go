package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/proxy/store"
)

// Dual session ids. The client only ever sees a proxy session id (random,
// 128 bits); the upstream only ever sees its own. The map lives in a
// store.Store (memory by default, Redis to share it between instances).
// A request naming an unknown proxy session gets 404, which makes an MCP
// client initialize again; a request without a session id is forwarded as
// it is. When the upstream loses a mapped session (it restarted), the proxy
// re-runs the recorded initialize and remaps the same proxy session.

// sessions returns the session store, a memory store unless one was set.
func (p *Proxy) sessions() store.Store {
	p.storeOnce.Do(func() {
		if p.Store == nil {
			p.Store = store.NewMemory(0)
		}
	})
	return p.Store
}

func newProxySessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// mapRequest turns the client's proxy session id (the Mcp-Session-Id
// header, or the legacy transport's sessionId parameter) into the
// upstream's on the outgoing request. It answers 404 for an unknown
// session and 503 when the store fails, and returns false then. A request
// on 2026-07-28 or later has no session: a stray Mcp-Session-Id on it is
// forwarded as it is, which the upstream ignores. (The legacy transport's
// session is its URL's: it is mapped whatever the request says, as a
// client probing for 2026-07-28 there must reach the session's endpoint.)
func (p *Proxy) mapRequest(w http.ResponseWriter, r *http.Request, ex *exchange, out *http.Request) bool {
	proxyID, param := r.Header.Get(headerSessionID), ""
	if modernRevision(ex.revision) {
		proxyID = ""
	}
	if proxyID == "" {
		param, proxyID = legacySessionParam(r.URL.Query())
	}
	if proxyID == "" {
		return true
	}
	sess, err := p.sessions().Lookup(r.Context(), proxyID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.sessionNotFound(w, ex, proxyID)
		return false
	case err != nil:
		writeRPCError(w, http.StatusServiceUnavailable, ex.firstID, "mcpscope: the session store is unavailable, try again: "+err.Error())
		return false
	}
	ex.session = sess
	p.gates.sessions.mapped(proxyID, sess.UpstreamID, sess.ProtocolVersion) // seen alive here, if another instance created it
	setUpstreamSession(out, param, sess.UpstreamID)
	return true
}

// setUpstreamSession puts the upstream session id on an outgoing request,
// where the client had put the proxy's.
func setUpstreamSession(out *http.Request, param, upstreamID string) {
	if param == "" {
		out.Header.Set(headerSessionID, upstreamID)
		return
	}
	q := out.URL.Query()
	q.Set(param, upstreamID)
	out.URL.RawQuery = q.Encode()
}

// legacySessionParam returns the name and value of a legacy message URL's
// session parameter.
func legacySessionParam(q url.Values) (name, value string) {
	for _, n := range []string{"sessionId", "sessionid", "session_id"} {
		if v := q.Get(n); v != "" {
			return n, v
		}
	}
	return "", ""
}

// mapResponse turns the upstream's session id on a response into the
// proxy's. A session id the proxy does not know yet (initialize) gets a
// new proxy session, stored with the initialize request.
func (p *Proxy) mapResponse(ctx context.Context, ex *exchange, resp *http.Response) error {
	upstreamID := resp.Header.Get(headerSessionID)
	if upstreamID == "" {
		return nil
	}
	if ex.session != nil && ex.session.UpstreamID == upstreamID {
		resp.Header.Set(headerSessionID, ex.session.ProxyID)
		return nil
	}
	sess, err := p.newSession(ctx, ex.target, upstreamID, ex.body)
	if err != nil {
		return err
	}
	ex.session = sess
	ex.http.NewSession, ex.http.UpstreamSession = sess.ProxyID, upstreamID
	p.unscopeInitialize(ex.scope) // the initialize counts for the session it created
	resp.Header.Set(headerSessionID, sess.ProxyID)
	return nil
}

// newSession stores a new proxy session for an upstream session.
func (p *Proxy) newSession(ctx context.Context, upstream *url.URL, upstreamID string, initialize []byte) (*store.Session, error) {
	sess := store.NewSession(newProxySessionID(), upstreamID, upstream.String(), initialize)
	if err := p.sessions().Put(ctx, sess); err != nil {
		return nil, err
	}
	p.gates.touch(sess.ProxyID, time.Now())
	p.gates.sessions.mapped(sess.ProxyID, upstreamID, sess.ProtocolVersion)
	if sess.InitializeDropped > 0 {
		p.logger().Info("initialize request not kept", "session", sess.ProxyID, "bytes", sess.InitializeDropped, "max", store.MaxInitialize)
	}
	if p.bus().Active() {
		o := &Observation{Type: TypeSession, Session: sess.ProxyID, UpstreamSession: upstreamID, Reason: "created"}
		if sess.InitializeDropped > 0 {
			o.Flags, o.Size = flagsInitializeNotKept, sess.InitializeDropped
		}
		p.bus().Publish(o)
	}
	return sess, nil
}

// flagsInitializeNotKept marks a created session whose initialize request
// was over store.MaxInitialize (Size says how large): it cannot be
// re-initialized if the upstream loses it.
var flagsInitializeNotKept = []string{FlagInitializeNotKept}

// FlagInitializeNotKept is flagsInitializeNotKept's flag.
const FlagInitializeNotKept = "initialize_not_kept"

// forgetSession drops a session the client deleted.
func (p *Proxy) forgetSession(ctx context.Context, ex *exchange, resp *http.Response) {
	if ex.session == nil || resp.StatusCode >= 500 {
		return
	}
	if err := p.sessions().Delete(ctx, ex.session.ProxyID); err != nil {
		p.logger().Warn("deleting session", "session", ex.session.ProxyID, "err", err)
	}
	p.gates.forget(ex.session.ProxyID)
	p.ended.note(ex.session.ProxyID, sessionClosed)
	p.publishSession(ex.session.ProxyID, ex.session.UpstreamID, "closed")
}

// lostSession reports whether the upstream says it does not know the
// session: 404 per the specification, or the 400 "No valid session ID"
// of servers built from the TypeScript SDK's examples. It may read the
// start of a 400's body, which it then puts back.
func lostSession(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusNotFound:
		return true
	case http.StatusBadRequest:
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
		return bytes.Contains(head, []byte("No valid session"))
	}
	return false
}

// reinitialize re-runs the session's recorded initialize and
// notifications/initialized on the upstream and remaps the proxy session
// to the upstream's new session. It returns the new upstream id.
func (p *Proxy) reinitialize(ctx context.Context, r *http.Request, sess *store.Session, upstream *url.URL, why string) (string, error) {
	switch {
	case sess.InitializeDropped > 0:
		return "", fmt.Errorf("its initialize request (%d bytes) was over %d and not kept", sess.InitializeDropped, store.MaxInitialize)
	case sess.Initialize == "":
		return "", errors.New("no recorded initialize for this session")
	}
	post := func(body, upstreamID string) (*http.Response, error) {
		target := *upstream
		target.Path, target.RawPath, target.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if upstreamID != "" {
			req.Header.Set(headerSessionID, upstreamID)
			if sess.ProtocolVersion != "" {
				req.Header.Set("MCP-Protocol-Version", sess.ProtocolVersion)
			}
		}
		return p.transport().RoundTrip(req)
	}
	resp, err := post(sess.Initialize, "")
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // the answer ends the initialize stream
	resp.Body.Close()
	upstreamID := resp.Header.Get(headerSessionID)
	if resp.StatusCode/100 != 2 || upstreamID == "" {
		return "", errors.New("the upstream answered the repeated initialize with " + resp.Status + " and no session")
	}
	if resp, err := post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, upstreamID); err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
	remapped := *sess
	remapped.UpstreamID, remapped.UpstreamURL = upstreamID, upstream.String()
	if err := p.sessions().Put(ctx, &remapped); err != nil {
		return "", err
	}
	p.gates.sessions.mapped(sess.ProxyID, upstreamID, sess.ProtocolVersion)
	p.publishSession(sess.ProxyID, upstreamID, "re-initialized on "+upstream.Host+": "+why)
	return upstreamID, nil
}

func (p *Proxy) publishSession(proxyID, upstreamID, what string) {
	if p.bus().Active() {
		p.bus().Publish(&Observation{Type: TypeSession, Session: proxyID, UpstreamSession: upstreamID, Reason: what})
	}
}
