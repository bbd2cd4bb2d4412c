package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// startRecording records the bus to o.recordFile until the returned stop
// is called: the recorder then writes what is queued and closes the file.
// A failure stops the recording, says so (on the bus, and on stderr when
// no UI owns the terminal), and never the proxy. stop waits for the
// recorder until deadline and no later: a target that does not keep up (a
// pipe nobody reads, a stalled disk) is closed then, stderr says (bounded:
// sayBounded) how many observations were not written, and stop returns
// errOutputLost. Calls of stop after the first return nil at once.
func startRecording(o *options, p *proxy.Proxy, stderr io.Writer) (stop func(deadline time.Time) error, err error) {
	f, err := os.OpenFile(o.recordFile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	redactor := o.redactor()
	sub := p.Bus.SubscribeLossless(record.LosslessBuffer)
	upstream, _ := redactor.URL(p.Upstream.Redacted())
	header := record.NewHeader(upstream, redactor != nil)
	header.InsecureTLS = o.upstreamTLS.Insecure
	var progress record.Progress
	var abandoned atomic.Bool // stop gave up waiting: what fails after is its doing, and told by it
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := record.RecordCounting(context.Background(), sub, f, header, redactor, &progress)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing the recording: %w", cerr)
		}
		if err != nil && !abandoned.Load() {
			sub.Close()
			p.Notice("recording stopped: " + err.Error())
			if !o.tui {
				fmt.Fprintf(stderr, "mcpscope: recording stopped: %v\n", err)
			}
		}
	}()
	var stopped atomic.Bool
	return func(deadline time.Time) error {
		if stopped.Swap(true) {
			return nil
		}
		sub.Close()
		if _, came := waitUntil(done, deadline); came {
			return nil
		}
		abandoned.Store(true)
		lost := progress.Unwritten(sub)
		f.Close() // ends a write blocked on a pipe; one on a stalled disk is left to the exit
		verb := " were"
		if lost == 1 {
			verb = " was"
		}
		sayBounded(stderr, fmt.Sprintf("mcpscope: recording: gave up on %s at the end of the shutdown (it stopped taking what was written): %s%s not written; the recording is incomplete\n",
			o.recordFile, plural.Count(int(lost), "observation"), verb))
		return errOutputLost
	}, nil
}
