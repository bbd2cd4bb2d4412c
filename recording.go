package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"mcpscope/proxy"
	"mcpscope/record"
)

// startRecording records the bus to o.recordFile until the returned stop
// is called (stop drains what is queued, then closes the file). A failure
// stops the recording, says so (on the bus, and on stderr when no UI owns
// the terminal), and never the proxy.
func startRecording(o *options, p *proxy.Proxy, stderr io.Writer) (stop func(), err error) {
	f, err := os.OpenFile(o.recordFile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	redactor := o.redactor()
	sub := p.Bus.SubscribeLossless(record.LosslessBuffer, proxy.Borrow) // the recorder writes each batch out before its next
	upstream, _ := redactor.URL(p.Upstream.Redacted())
	header := record.NewHeader(upstream, redactor != nil)
	var wg sync.WaitGroup
	wg.Go(func() {
		err := record.Record(context.Background(), sub, f, header, redactor)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing the recording: %w", cerr)
		}
		if err != nil {
			sub.Close()
			p.Notice("recording stopped: " + err.Error())
			if !o.tui {
				fmt.Fprintf(stderr, "mcpscope: recording stopped: %v\n", err)
			}
		}
	})
	return func() { sub.Close(); wg.Wait() }, nil
}
