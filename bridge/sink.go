package bridge

// A sink is an HTTP response the reader hands server messages to: a POST
// awaiting answers, or a GET stream. The handler that owns it takes each
// message from ch and writes it; the hand-off is synchronous, so a slow
// client slows the reader (and so the child). The handler closes gone
// when it returns, after removing the sink from the session's tables, so
// a hand-off never waits for a handler that left.
type sink struct {
	ch   chan message
	gone chan struct{}
	stop chan struct{} // closed to end a GET stream another replaced
	sse  bool          // the response is an SSE stream (it can carry any message)
}

// message is one line for a sink; id is set (idKey) when it answers a
// request.
type message struct {
	line []byte
	id   string
}

func newSink(sse bool) *sink {
	return &sink{ch: make(chan message), gone: make(chan struct{}), stop: make(chan struct{}), sse: sse}
}

// deliver hands m to k's handler; false if the handler left first or the
// session is stopping.
func (s *session) deliver(k *sink, m message) bool {
	select {
	case k.ch <- m:
		return true
	case <-k.gone:
		return false
	case <-s.ctx.Done():
		return false
	}
}
