package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestDisplayQueueHoldsABurst: a burst of 20 000 small messages (about
// 13 MiB of observations) waits whole for a TUI (which keeps what it reads:
// Next) or a printer (which borrows: NextBorrowed) that falls behind; none
// is dropped.
func TestDisplayQueueHoldsABurst(t *testing.T) {
	for _, borrow := range []bool{false, true} {
		b := proxy.NewBus()
		sub := subscribeDisplay(b)
		const burst = 20000
		for i := range burst {
			body := fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t-1","progress":%d,"total":20000,"message":"step %d of the work, going on"}}`, i, i)
			b.Publish(&proxy.Observation{Type: proxy.TypeMessage, Session: "s-1", Stream: "st-1", Method: "notifications/progress", Body: body})
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var n int
		var first proxy.Observation
		read := func(batch []*proxy.Observation) error {
			n, first = len(batch), *batch[0]
			return nil
		}
		var err error
		if borrow {
			err = sub.NextBorrowed(ctx, read)
		} else {
			var batch []*proxy.Observation
			if batch, err = sub.Next(ctx); err == nil {
				read(batch)
			}
		}
		cancel()
		if err != nil {
			t.Fatalf("borrow %v: %v", borrow, err)
		}
		if first.Type == proxy.TypeDropped || n != burst {
			t.Errorf("borrow %v: the display got %d of a burst of %d (dropped %d)", borrow, n, burst, first.Dropped)
		}
		sub.Close()
		b.Close()
	}
}
