package proxy

import "time"

// drainer lets a POST stream whose upstream gives no ids outlive its
// client: the upstream request no longer ends with the client's, and once
// the client is gone the stream goes on reading (and logging) for the drain
// window, so a client that resumes gets what the upstream sent meanwhile.
type drainer struct {
	detach   func() bool // stops the upstream request from ending with the client's
	end      func()      // ends the upstream request
	detached bool
	window   time.Duration
	until    time.Time   // set when the client was found gone
	timer    *time.Timer // ends the upstream request at the window's end
}

// stop drops the window's timer once the stream ended on its own.
func (d *drainer) stop() {
	if d.timer != nil {
		d.timer.Stop()
	}
}

func (d *drainer) start(window time.Duration) {
	if window > 0 && d.detach != nil && d.detach() {
		d.detached, d.window = true, window
	}
}

// keepDraining is asked when writing to the client failed: it reports
// whether the stream goes on without it. The first time, it starts the
// window, at whose end the upstream request is ended.
func (s *sseStream) keepDraining() bool {
	d := &s.drain
	if !d.detached {
		return false
	}
	if d.until.IsZero() {
		d.until = time.Now().Add(d.window)
		d.timer = time.AfterFunc(d.window, d.end)
	}
	return time.Now().Before(d.until)
}

// note adds to why the stream ended that it was drained.
func (d *drainer) note(reason string) string {
	if d.until.IsZero() {
		return reason
	}
	return reason + "; what the upstream sent after was kept in the replay log"
}
