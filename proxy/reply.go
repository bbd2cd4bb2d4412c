package proxy

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// replyTimeout bounds a reply to the server (see replyUpstream).
const replyTimeout = 30 * time.Second

// replyUpstream answers a request the server sent on this stream, in place
// of the client (a held server→client request the user failed): it POSTs
// answer where the client posts its messages (the stream's endpoint, or a
// legacy stream's endpoint URL), in the stream's session, with the headers
// of the client's request that opened the stream. The POST goes through
// the proxy's own handler, so it is observed, judged by the rules and
// mapped to the upstream's session like any client message. It waits for
// the upstream's answer (at most replyTimeout, even if the client leaves)
// and publishes a notice if the server did not take it.
func (s *sseStream) replyUpstream(ctx context.Context, answer string) {
	r := s.client
	target := r.URL.RequestURI()
	if s.legacy != nil {
		if s.legacy.post == nil {
			s.p.Notice("answering the server's held request: the legacy stream named no endpoint to post to")
			return
		}
		target = s.legacy.post.RequestURI()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(answer))
	if err != nil {
		s.p.Notice("answering the server's held request: " + err.Error())
		return
	}
	req.Host, req.RemoteAddr, req.TLS = r.Host, r.RemoteAddr, r.TLS
	req.Header = r.Header.Clone()
	req.Header.Del("Last-Event-ID")
	req.Header.Del("Content-Length")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if s.legacy == nil && req.Header.Get(headerSessionID) == "" && s.session != s.scope {
		req.Header.Set(headerSessionID, s.session) // the stream created the session (initialize)
	}
	w := &replyWriter{header: http.Header{}}
	s.p.ServeHTTP(w, req)
	if w.status >= 300 {
		s.p.Notice(fmt.Sprintf("answering the server's held request: the proxy or upstream answered %d: %.200s", w.status, w.body.String()))
	}
}

// replyWriter is the ResponseWriter of a reply: it keeps the status and
// the first bytes of the body (for the notice), and discards the rest.
type replyWriter struct {
	header http.Header
	status int
	body   strings.Builder
}

func (w *replyWriter) Header() http.Header { return w.header }

func (w *replyWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *replyWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if room := 512 - w.body.Len(); room > 0 {
		w.body.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}
