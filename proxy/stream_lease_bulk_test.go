package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// bulkEvent is event i of TestBorrowersUnderBulk: an id, and data whose
// padding is one letter, chosen by i, over a size that varies with i (1 to
// 40 KiB, so events share leases and span reads).
func bulkEvent(i int) string {
	pad := strings.Repeat(string(rune('a'+i%26)), 1<<10+(i*7919)%(39<<10))
	return fmt.Sprintf("id: %d\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"seq\":%d,\"data\":%q}}\n\n", i, i, pad)
}

// TestBorrowersUnderBulk streams bulk events to borrowing observers — one
// that checks every event it is given and lags now and then (so leases pile
// up, up to the budget), one whose queue is too small and drops — and to
// the test's observer, which keeps everything. Every observation reads as
// sent while it may be read (released buffers are poisoned in tests), the
// client gets the upstream's bytes, and once all is read every lease is back.
func TestBorrowersUnderBulk(t *testing.T) {
	const events = 600
	leasesBefore := proxy.LeasesOut()
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range events {
			if _, err := w.Write([]byte(bulkEvent(i))); err != nil {
				return
			}
			if i%7 == 0 {
				w.(http.Flusher).Flush()
			}
		}
	})
	hs := startProxy(t, startUpstream(t, up).URL, nil)
	checker := hs.Proxy.Bus.Subscribe(0, proxy.MaxBytes(64<<20)) // it checks every event: room for all 600 (up to 40 KiB each), past the default byte bound
	dropper := hs.Proxy.Bus.Subscribe(4)
	var wg sync.WaitGroup
	var checked, mismatches int
	var maxLeased int32
	check := func(batch []*proxy.Observation) error {
		for _, o := range batch {
			if o.Type != proxy.TypeSSEEvent {
				continue
			}
			i, err := strconv.Atoi(o.EventID)
			if err != nil || o.Raw != bulkEvent(i) {
				mismatches++
			}
			checked++
		}
		maxLeased = max(maxLeased, proxy.LeasesOut()-leasesBefore)
		return nil
	}
	wg.Go(func() {
		defer checker.Close()
		for batches := 0; checked < events; batches++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := checker.NextBorrowed(ctx, func(batch []*proxy.Observation) error {
				if batches%5 == 0 {
					time.Sleep(3 * time.Millisecond) // lag: the stream's leases stay out meanwhile, and the batch's
				}
				return check(batch)
			})
			cancel()
			if err != nil {
				return
			}
		}
	})
	wg.Go(func() {
		defer dropper.Close() // it stops reading after 200 ms idle; on a loaded machine the bus may still publish to it then
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			err := dropper.NextBorrowed(ctx, func([]*proxy.Observation) error { return nil })
			cancel()
			if err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	got, err := sseFrom(t, hs)
	if err != nil && err.Error() != "EOF" || len(got) != events {
		t.Fatalf("client got %d events (%v), want %d", len(got), err, events)
	}
	for i, e := range got {
		if e != bulkEvent(i) {
			t.Fatalf("client's event %d differs from the upstream's", i)
		}
	}
	wg.Wait()
	if maxLeased < 2 {
		t.Fatalf("at most %d leases were out: the events were not observed from leases", maxLeased)
	}
	t.Logf("up to %d leases out while the observer lagged", maxLeased)
	if checked != events || mismatches != 0 {
		t.Fatalf("the borrowing observer checked %d of %d events; %d read other bytes than were sent", checked, events, mismatches)
	}
	kept := hs.Seen.Await(t, events, func(o *proxy.Observation) bool { return o.Type == proxy.TypeSSEEvent })
	for i, o := range kept {
		if o.Raw != bulkEvent(i) || !strings.Contains(o.Body, fmt.Sprintf(`"seq":%d,`, i)) {
			t.Fatalf("the kept observation of event %d changed after the stream", i)
		}
	}
	waitFor(t, func() bool { return proxy.LeasesOut() <= leasesBefore })
}
