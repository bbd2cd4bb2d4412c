package main

import (
	"errors"
	"io"
	"time"
)

// errOutputLost is what a shutdown returns when it gave up on an output
// that took nothing more (stdout, the recording): what was not written is
// lost, so the exit status is 1. What was lost has been said on stderr
// when it was given up; the error adds nothing to print.
var errOutputLost = errors.New("output was lost at shutdown")

// messageWait bounds how long a message written during a shutdown waits
// for stderr, which may be the very pipe that stalled (`--headless 2>&1 |
// ...`).
const messageWait = 250 * time.Millisecond

// waitUntil waits for a value (or the close) of ch until deadline and
// returns it, reporting whether it came.
func waitUntil[T any](ch <-chan T, deadline time.Time) (v T, came bool) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case v = <-ch:
		return v, true
	case <-timer.C:
		return v, false
	}
}

// sayBounded writes msg to w, waiting for the write at most messageWait:
// a write that blocks longer is left to finish, or not, on its own
// goroutine (w must allow concurrent writes, as os.Stderr does).
func sayBounded(w io.Writer, msg string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.WriteString(w, msg)
	}()
	waitUntil(done, time.Now().Add(messageWait))
}

// exitStatus says err on stderr as prefix: err (bounded: see sayBounded;
// its text through redact), unless it only says that output was lost, which
// was said already; and returns the exit status: 0 for no error, else 1.
func exitStatus(stderr io.Writer, prefix string, redact func(string) string, err error) int {
	if err == nil {
		return 0
	}
	if !errors.Is(err, errOutputLost) {
		sayBounded(stderr, prefix+": "+redact(err.Error())+"\n")
	}
	return 1
}
