package proxy

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// bodyTimeoutTotal bounds the time a whole request body may take, in
// multiples of BodyTimeout (5 minutes at the default).
const bodyTimeoutTotal = 10

// bodyDeadline is a request body's read deadline: BodyTimeout after the
// last read that brought bytes, so a slow upload that keeps arriving is
// not cut, but never later than bodyTimeoutTotal times BodyTimeout after
// the body started, so one that trickles a byte now and then ends too.
type bodyDeadline struct {
	rc      *http.ResponseController
	idle    time.Duration
	started time.Time
}

// bodyDeadline returns the deadline for the body of the request w answers,
// set already; nil when BodyTimeout is negative or w cannot set one.
func (p *Proxy) bodyDeadline(w http.ResponseWriter) *bodyDeadline {
	idle := p.BodyTimeout
	if idle == 0 {
		idle = DefaultBodyTimeout
	}
	if idle < 0 {
		return nil
	}
	d := &bodyDeadline{rc: http.NewResponseController(w), idle: idle, started: time.Now()}
	if d.push(d.started) != nil {
		return nil
	}
	return d
}

// push moves the deadline to idle after now, within the total.
func (d *bodyDeadline) push(now time.Time) error {
	at := now.Add(d.idle)
	if end := d.started.Add(bodyTimeoutTotal * d.idle); at.After(end) {
		at = end
	}
	return d.rc.SetReadDeadline(at)
}

// reader returns body read through the deadline: each read that brings
// bytes pushes it forward.
func (d *bodyDeadline) reader(body io.Reader) io.Reader {
	return readFunc(func(b []byte) (int, error) {
		n, err := body.Read(b)
		if n > 0 {
			d.push(time.Now())
		}
		return n, err
	})
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(b []byte) (int, error) { return f(b) }

// clear lifts the deadline once the body is read: the response may last
// far longer (an SSE stream).
func (d *bodyDeadline) clear() { d.rc.SetReadDeadline(time.Time{}) }

// explain says which bound a body that timed out passed.
func (d *bodyDeadline) explain() string {
	if total := bodyTimeoutTotal * d.idle; time.Since(d.started) >= total {
		return fmt.Sprintf("not finished after %v (%d × --body-timeout)", total, bodyTimeoutTotal)
	}
	return fmt.Sprintf("no bytes for %v (raise --body-timeout)", d.idle)
}
