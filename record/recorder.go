package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// Format and Version name the recording format in its header line.
//
// Version is what Record writes and the newest Read reads. Version 2 adds
// "body_at" (see Record): a version 1 reader would ignore it and read such
// an observation without its body. Exports are written as version 1
// (exportVersion, every body in full), which any mcpscope reads.
const (
	Format  = "mcpscope-recording"
	Version = 2

	exportVersion = 1
)

// Header is the first line of a recording.
type Header struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Started  time.Time `json:"started"`
	Upstream string    `json:"upstream,omitempty"`
	Redacted bool      `json:"redacted"`
	// InsecureTLS: recorded with --insecure, the upstream's certificate
	// not verified.
	InsecureTLS bool `json:"insecure_tls,omitempty"`
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
// complete line. The lines are what encoding/json writes, except that an
// observation whose body lies within its raw bytes (an SSE event with one
// data line) has them written once: "raw", then "body_at":[start,end], the
// body's byte offsets in raw, instead of "body". It returns nil when ctx
// ends or sub closes, and an error naming the cause when writing fails or
// the subscription overflowed (the recording is then incomplete). It closes
// neither sub nor w.
func Record(ctx context.Context, sub *proxy.Subscription, w io.Writer, h Header, redactor *Redactor) error {
	return RecordCounting(ctx, sub, w, h, redactor, nil)
}

// Progress counts what a recording took from its subscription and what it
// wrote, so that a caller that stops waiting for it (a shutdown bounded in
// time) can tell how much was not written. Its methods may be called from
// any goroutine.
type Progress struct {
	taken, written atomic.Int64
}

// Unwritten returns how many observations sub delivered, or still holds,
// that were not written: those taken but not written, and those queued.
func (p *Progress) Unwritten(sub *proxy.Subscription) int64 {
	return p.taken.Load() - p.written.Load() + int64(sub.Queued())
}

// RecordCounting is Record, counting in progress (if not nil) what it
// takes and writes.
func RecordCounting(ctx context.Context, sub *proxy.Subscription, w io.Writer, h Header, redactor *Redactor, progress *Progress) error {
	head, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("writing the recording: %w", err)
	}
	if _, err := w.Write(append(escapeInvisible(head), '\n')); err != nil {
		return fmt.Errorf("writing the recording: %w", err)
	}
	err = writeLines(ctx, sub, w, newLineEncoder(true), redactor.Apply, progress)
	if errors.Is(err, proxy.ErrOverflow) {
		return fmt.Errorf("the recording fell more than %d MiB behind (is the disk slow?); it stops here, incomplete", LosslessBuffer>>20)
	}
	return err
}

// WriteJSONLines writes every observation sub delivers to w (through
// redactor, if not nil), one JSON object per line (see Printer), writing
// after each batch. It returns when ctx ends or the subscription closes
// (nil), or when writing fails (the error, naming the output). It does not
// close sub or w.
func WriteJSONLines(ctx context.Context, sub *proxy.Subscription, w io.Writer, redactor *Redactor) error {
	return writeLines(ctx, sub, w, newHeadlessEncoder(), redactor.Apply, nil)
}

// writeChunk is how many bytes of lines writeLines gathers before writing
// them: few enough system calls, little enough memory.
const writeChunk = 256 << 10

func writeLines(ctx context.Context, sub *proxy.Subscription, w io.Writer, enc *lineEncoder, transform func(*proxy.Observation) *proxy.Observation, progress *Progress) error {
	if progress == nil {
		progress = new(Progress)
	}
	buf := make([]byte, 0, writeChunk+64<<10)
	lines := int64(0) // observations in buf
	flush := func() error {
		if err := writeOut(w, buf); err != nil {
			return err
		}
		progress.written.Add(lines)
		buf, lines = reuse(buf), 0
		return nil
	}
	// Each batch is borrowed: it is encoded into buf (a copy) before the
	// callback returns, so nothing of it is kept.
	write := func(batch []*proxy.Observation) error {
		progress.taken.Add(int64(len(batch)))
		for _, o := range batch {
			if transform != nil {
				o = transform(o)
			}
			var err error
			if buf, err = enc.appendLine(buf, o); err != nil {
				return errors.Join(fmt.Errorf("encoding observation %d: %w", o.Seq, err), flush())
			}
			lines++
			if len(buf) >= writeChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	}
	for {
		err := sub.NextBorrowed(ctx, write)
		switch {
		case errors.Is(err, proxy.ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return nil
		case err != nil:
			return err
		}
	}
}

// reuse empties buf, letting go of it if one huge line grew it.
func reuse(buf []byte) []byte {
	if cap(buf) > 4*writeChunk {
		return make([]byte, 0, writeChunk+64<<10)
	}
	return buf[:0]
}

// writeOut writes complete lines.
func writeOut(w io.Writer, lines []byte) error {
	if len(lines) == 0 {
		return nil
	}
	if _, err := w.Write(lines); err != nil {
		return fmt.Errorf("writing observations: %w", err)
	}
	return nil
}
