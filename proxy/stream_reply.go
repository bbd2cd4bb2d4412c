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

// replyKey marks the context of a reply mcpscope sends in the client's
// place: the rules do not judge it, and its message is flagged by_mcpscope.
type replyKey struct{}

// isReply reports whether ctx is a reply's (see replyKey).
func isReply(ctx context.Context) bool { return ctx.Value(replyKey{}) != nil }

// replyUpstream answers a request the server sent on this stream, in place
// of the client (a held server→client request the user failed, or one a
// block or mock rule answered). It POSTs answer where the client posts its
// messages (the stream's endpoint, or a legacy stream's endpoint resolved
// against the stream's URL), in the stream's session, with the headers of
// the client's request that opened the stream. The POST goes through the
// proxy's own handler, so it is published like a client message (flagged
// by_mcpscope) and mapped to the upstream's session, but no rule judges
// it. It runs on its own goroutine, so the stream reads on meanwhile; it
// ends within replyTimeout (even if the client leaves) and the stream
// waits for it when it closes. A notice says when the server did not take
// the answer (no answer, a status of 300 or more, or no endpoint to post
// to).
func (s *sseStream) replyUpstream(ctx context.Context, answer string) {
	target, ok := s.replyTarget()
	if !ok {
		return
	}
	r := s.client
	ctx, cancel := context.WithTimeout(context.WithValue(context.WithoutCancel(ctx), replyKey{}, true), replyTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(answer))
	if err != nil {
		cancel()
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
	s.replies.Add(1)
	go func() {
		defer s.replies.Done()
		defer cancel()
		w := &replyWriter{header: http.Header{}}
		s.p.ServeHTTP(w, req)
		switch {
		case w.status == 0:
			s.p.Notice(fmt.Sprintf("answering the server's request: no answer from the proxy or upstream within %s", replyTimeout))
		case w.status >= 300:
			s.p.Notice(fmt.Sprintf("answering the server's request: the proxy or upstream answered %d: %.200s", w.status, w.body.String()))
		}
	}()
}

// replyTarget returns the request URI to post a reply to, or publishes a
// notice and returns false when there is none the proxy can serve: a
// legacy stream whose endpoint event has not come, or whose endpoint is on
// another host than the proxy.
func (s *sseStream) replyTarget() (string, bool) {
	r := s.client
	if s.legacy == nil {
		return r.URL.RequestURI(), true
	}
	post := s.legacy.post
	if post == nil {
		s.p.Notice("answering the server's request: the legacy stream named no endpoint to post to")
		return "", false
	}
	if post.IsAbs() && !strings.EqualFold(post.Host, r.Host) {
		s.p.Notice("answering the server's request: the legacy endpoint " + post.Redacted() + " is on another host than the proxy: not posting there")
		return "", false
	}
	return r.URL.ResolveReference(post).RequestURI(), true
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
