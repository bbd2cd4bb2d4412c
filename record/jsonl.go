// Package record turns the observation bus into files and back: JSON Lines
// output (the --headless stream, and recordings), and later exports and
// replay.
package record

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"mcpscope/proxy"
)

// WriteJSONLines writes every observation sub delivers to w, one JSON
// object per line, flushing after each batch. It returns when ctx ends or
// the subscription closes (nil), or when writing fails (the error, naming
// the output). It does not close sub or w.
func WriteJSONLines(ctx context.Context, sub *proxy.Subscription, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for {
		batch, err := sub.Next(ctx)
		if err != nil {
			if errors.Is(err, proxy.ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return flushOutput(bw)
			}
			return err
		}
		for _, o := range batch {
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
