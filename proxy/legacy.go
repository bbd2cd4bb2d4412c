package proxy

import (
	"net/url"
	"strings"

	"mcpscope/sse"
)

// legacyEndpoint rewrites the first event of the 2024-11-05 HTTP+SSE
// transport: "event: endpoint" whose data is the URL the client must POST
// its messages to. An absolute URL on the upstream's origin is rewritten to
// the proxy's origin as the client reached it; a relative URL already
// resolves against the proxy and is left alone.
type legacyEndpoint struct {
	upstream   *url.URL
	clientHost string // the Host the client used to reach the proxy
	clientTLS  bool
	sessionID  string // the sessionId query parameter of the endpoint, once seen
}

// rewrite returns the block to forward and whether it differs from b.
func (l *legacyEndpoint) rewrite(b *sse.Block) ([]byte, bool) {
	endpoint := strings.TrimSpace(string(b.Data))
	u, err := url.Parse(endpoint)
	if err != nil {
		return b.Raw, false
	}
	l.sessionID = legacySessionID(u.Query())
	if !u.IsAbs() || !strings.EqualFold(u.Host, l.upstream.Host) {
		return b.Raw, false
	}
	u.Scheme, u.Host = "http", l.clientHost
	if l.clientTLS {
		u.Scheme = "https"
	}
	ev := sse.Event{ID: string(b.ID), HasID: b.HasID, Event: string(b.Event), Data: u.String(), Retry: b.Retry, HasRetry: b.HasRetry}
	return sse.AppendEvent(nil, ev), true
}

// legacySessionID returns the session parameter of a legacy message URL.
// The 2024-11-05 specification's example names it sessionId; the Go SDK
// writes sessionid.
func legacySessionID(q url.Values) string {
	for _, name := range []string{"sessionId", "sessionid", "session_id"} {
		if v := q.Get(name); v != "" {
			return v
		}
	}
	return ""
}
