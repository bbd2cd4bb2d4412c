package hub

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestObserveQueueCountsWhatItDrops: past its rate (and its bytes), the
// queue drops whole blocks and hands out how many lines and bytes it
// dropped, per direction, so what is shown plus what is counted is every
// line.
func TestObserveQueueCountsWhatItDrops(t *testing.T) {
	block := []byte(strings.Repeat(`{"jsonrpc":"2.0","method":"x"}`+"\n", 100)) // 3,100 bytes, 100 lines
	q := newObserveQueue(1<<20, 1, 4*len(block))                                // a burst of under a block, then 1 byte/s
	for range 10 {
		q.push(proxy.ServerToClient, block, time.Now())
	}
	q.tokens = 1 << 20 // time passes
	q.push(proxy.ServerToClient, block[:31], time.Now())

	var shown, missed, missedBytes int64
	for _, o := range q.take(nil, true) {
		switch {
		case o.missedLines > 0:
			missed += o.missedLines
			missedBytes += o.missedBytes
		case o.dir == proxy.ServerToClient:
			shown += int64(strings.Count(string(o.block), "\n"))
		}
	}
	if shown+missed != 1001 || shown == 0 {
		t.Errorf("shown %d + missed %d lines = %d, want all 1001", shown, missed, shown+missed)
	}
	if missed == 0 || missedBytes != missed*31 {
		t.Errorf("missed %d lines of %d bytes, want some, 31 bytes each", missed, missedBytes)
	}
	q.close()
	q.push(proxy.ServerToClient, block, time.Now()) // after close: ignored, no panic
	if len(q.take(nil, true)) != 0 {
		t.Error("a closed queue took a block")
	}
}

// TestObserveQueueShowsALineLargerThanABurst: a single line costing more
// than a whole burst (a 2 MiB tools/list answer) is shown when the bucket
// is full, and the next block waits until its debt is repaid.
func TestObserveQueueShowsALineLargerThanABurst(t *testing.T) {
	q := newObserveQueue(8<<20, 1<<20, 1<<20) // 1 MiB/s, bursts of 1 MiB
	big := []byte(strings.Repeat("x", 2<<20) + "\n")
	q.push(proxy.ServerToClient, big, time.Now())
	q.push(proxy.ServerToClient, []byte("small\n"), time.Now())
	var blocks, missed int
	for _, o := range q.take(nil, true) {
		if o.missedLines > 0 {
			missed += int(o.missedLines)
		} else {
			blocks++
		}
	}
	if blocks != 1 || missed != 1 {
		t.Errorf("shown %d blocks, counted %d lines missed; want the large line shown and the next one counted while the debt is repaid", blocks, missed)
	}
}

// TestObserveQueueCoalescesAFlood: blocks pushed while the consumer waits
// out observeCoalesce reach it together, in order: ten blocks pushed 200 µs
// apart (one wake-up each without coalescing) arrive in a few takes, and
// the first block after a quiet spell goes at once.
func TestObserveQueueCoalescesAFlood(t *testing.T) {
	q := newObserveQueue(1<<20, 0, 0)
	type take struct {
		lines int
		at    time.Time
	}
	takes := make(chan take, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var got []observed
		q.consume(func(final bool) {
			got = q.take(got, final)
			if len(got) > 0 {
				n := 0
				for _, o := range got {
					n += strings.Count(string(o.block), "\n")
				}
				takes <- take{n, time.Now()}
			}
		})
	}()
	line := []byte("{}\n")
	pushed := time.Now()
	q.push(proxy.ServerToClient, line, time.Now())
	first := <-takes
	if wait := first.at.Sub(pushed); wait > time.Second {
		t.Errorf("the first block waited %v", wait)
	}
	for range 10 {
		time.Sleep(200 * time.Microsecond)
		q.push(proxy.ServerToClient, line, time.Now())
	}
	q.close()
	<-done
	close(takes)
	n, lines := 0, 0
	for tk := range takes {
		n++
		lines += tk.lines
	}
	if lines != 10 {
		t.Errorf("%d lines taken after the first, want 10", lines)
	}
	if n > 5 {
		t.Errorf("10 blocks 200 µs apart took %d takes: not coalesced", n)
	}
}
