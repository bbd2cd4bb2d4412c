package record

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"mcpscope/proxy"
)

// Format and Version name the recording format in its header line.
const (
	Format  = "mcpscope-recording"
	Version = 1
)

// Header is the first line of a recording.
type Header struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Started  time.Time `json:"started"`
	Upstream string    `json:"upstream,omitempty"`
	Redacted bool      `json:"redacted"`
}

// NewHeader returns the header of a recording starting now.
func NewHeader(upstream string, redacted bool) Header {
	return Header{Format: Format, Version: Version, Started: time.Now(), Upstream: upstream, Redacted: redacted}
}

// LosslessBuffer bounds what the recorder may fall behind by (see
// proxy.Bus.SubscribeLossless): a disk that slow stops the recording, not
// the proxy.
const LosslessBuffer = 256 << 20

// Record writes the header, then every observation sub delivers (through
// redactor, if not nil), one JSON object per line, flushing after every
// batch: a process killed mid-way leaves a file readable up to its last
// complete line. It returns nil when ctx ends or sub closes, and an error
// naming the cause when writing fails or the subscription overflowed (the
// recording is then incomplete). It closes neither sub nor w.
func Record(ctx context.Context, sub *proxy.Subscription, w io.Writer, h Header, redactor *Redactor) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := json.NewEncoder(bw).Encode(h); err != nil {
		return fmt.Errorf("writing the recording: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the recording: %w", err)
	}
	err := writeLines(ctx, sub, bw, redactor.Apply)
	if errors.Is(err, proxy.ErrOverflow) {
		return fmt.Errorf("the recording fell more than %d MiB behind (is the disk slow?); it stops here, incomplete", LosslessBuffer>>20)
	}
	return err
}

// WriteJSONLines writes every observation sub delivers to w, one JSON
// object per line, flushing after each batch. It returns when ctx ends or
// the subscription closes (nil), or when writing fails (the error, naming
// the output). It does not close sub or w.
func WriteJSONLines(ctx context.Context, sub *proxy.Subscription, w io.Writer) error {
	return writeLines(ctx, sub, bufio.NewWriterSize(w, 64<<10), nil)
}

func writeLines(ctx context.Context, sub *proxy.Subscription, bw *bufio.Writer, transform func(*proxy.Observation) *proxy.Observation) error {
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for {
		batch, err := sub.Next(ctx)
		if err != nil {
			if errors.Is(err, proxy.ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return flushOutput(bw)
			}
			return errors.Join(err, flushOutput(bw))
		}
		for _, o := range batch {
			if transform != nil {
				o = transform(o)
			}
			if err := enc.Encode(o); err != nil {
				return fmt.Errorf("writing observations: %w", err)
			}
		}
		if err := flushOutput(bw); err != nil {
			return err
		}
	}
}

func flushOutput(bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing observations: %w", err)
	}
	return nil
}
