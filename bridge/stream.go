package bridge

import (
	"fmt"
	"net/http"

	"github.com/mcpscope/mcpscope/internal/plural"
)

// get serves the session's standalone stream: the server messages that
// answer no request (notifications, the server's requests), starting with
// those queued while no stream was open. A new GET stream replaces the
// one open (a client reconnecting).
func (b *Bridge) get(w http.ResponseWriter, r *http.Request) {
	s, ok := b.find(w, r)
	if !ok {
		return
	}
	if !acceptsSSE(r) {
		writeError(w, http.StatusNotAcceptable, "", "mcpscope: a GET stream is text/event-stream: say so in Accept")
		return
	}
	s.begin()
	defer s.end()
	k := newSink(true)
	s.mu.Lock()
	if how := s.ended; how != "" {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "", "mcpscope: session "+quote(s.id)+" ended ("+how+"); initialize a new one")
		return
	}
	old := s.standalone
	s.standalone = k
	queued, dropped := s.queue.take()
	s.mu.Unlock()
	if old != nil {
		close(old.stop)
	}
	defer func() {
		s.mu.Lock()
		if s.standalone == k {
			s.standalone = nil
		}
		s.mu.Unlock()
		close(k.gone)
	}()
	if dropped > 0 {
		b.Proxy.Notice(fmt.Sprintf("session %s: %s dropped while no stream was open to carry them (the queue keeps %d bytes)", s.id, plural.Count(dropped, "server message"), b.maxQueue()))
	}
	startStream(w)
	for _, line := range queued {
		if writeEvent(w, line) != nil {
			return
		}
	}
	if flush(w) != nil {
		return
	}
	for {
		select {
		case m := <-k.ch:
			if writeEvent(w, m.line) != nil || flush(w) != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-k.stop:
			return
		}
	}
}
