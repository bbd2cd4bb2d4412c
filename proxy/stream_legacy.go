package proxy

import (
	"net/url"
	"strings"

	"github.com/mcpscope/mcpscope/sse"
)

// legacyEndpoint rewrites the first event of the 2024-11-05 HTTP+SSE
// transport: "event: endpoint" whose data is the URL the client must POST
// its messages to. Its session parameter becomes the proxy's session id
// (mapped to the upstream's); an absolute URL on the upstream's origin
// becomes the proxy's origin as the client reached it. A relative URL
// already resolves against the proxy.
type legacyEndpoint struct {
	upstream   *url.URL
	clientHost string // the Host the client used to reach the proxy
	clientTLS  bool
	sessionID  string   // the proxy's session id for the stream, once mapped
	post       *url.URL // where the client was told to POST, once the endpoint event came
}

// rewrite returns the block to forward and whether it differs from b.
// mapSession turns the upstream's session id into a new proxy session id.
func (l *legacyEndpoint) rewrite(b *sse.Block, mapSession func(upstreamID string) (string, error)) ([]byte, bool) {
	endpoint := strings.TrimSpace(string(b.Data))
	u, err := url.Parse(endpoint)
	if err != nil {
		return b.Raw, false
	}
	changed := false
	if param, upstreamID := legacySessionParam(u.Query()); upstreamID != "" {
		if proxyID, err := mapSession(upstreamID); err == nil {
			q := u.Query()
			q.Set(param, proxyID)
			u.RawQuery, l.sessionID, changed = q.Encode(), proxyID, true
		}
	}
	if u.IsAbs() && strings.EqualFold(u.Host, l.upstream.Host) {
		u.Scheme, u.Host, changed = "http", l.clientHost, true
		if l.clientTLS {
			u.Scheme = "https"
		}
	}
	l.post = u
	if !changed {
		return b.Raw, false
	}
	ev := sse.Event{ID: string(b.ID), HasID: b.HasID, Event: string(b.Event), Data: u.String(), Retry: b.Retry, HasRetry: b.HasRetry}
	return sse.AppendEvent(nil, ev), true
}

// legacySessionID returns the session parameter of a legacy message URL.
// The 2024-11-05 specification's example names it sessionId; the Go SDK
// writes sessionid.
func legacySessionID(q url.Values) string {
	_, v := legacySessionParam(q)
	return v
}
