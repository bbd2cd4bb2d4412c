package hub

import (
	"strings"
	"testing"

	"mcpscope/proxy"
)

// TestObserveQueueCountsWhatItDrops: past its rate (and its bytes), the
// queue drops whole blocks and hands out how many lines and bytes it
// dropped just before the next block of that direction, so what is shown
// plus what is counted is every line.
func TestObserveQueueCountsWhatItDrops(t *testing.T) {
	block := []byte(strings.Repeat(`{"jsonrpc":"2.0","method":"x"}`+"\n", 100)) // 3,100 bytes, 100 lines
	q := newObserveQueue(1<<20, 1, 4*len(block))                                 // a burst of about 3 blocks' Cost, then 1 byte/s
	for range 10 {
		q.push(proxy.ServerToClient, block)
	}
	q.push(proxy.ClientToServer, block[:31]) // the other direction has its own count
	q.tokens = 1 << 20                       // time passes
	q.push(proxy.ServerToClient, block[:31])

	var shown, missed, missedBytes int64
	var order []string
	for _, o := range q.take(nil) {
		if o.missedLines > 0 {
			order = append(order, "missed")
			missed += o.missedLines
			missedBytes += o.missedBytes
			continue
		}
		order = append(order, "block")
		if o.dir == proxy.ServerToClient {
			shown += int64(strings.Count(string(o.block), "\n"))
		}
	}
	if shown+missed != 1001 {
		t.Errorf("shown %d + missed %d lines = %d, want all 1001", shown, missed, shown+missed)
	}
	if missed == 0 || missedBytes != missed*31 {
		t.Errorf("missed %d lines of %d bytes, want some, 31 bytes each", missed, missedBytes)
	}
	if got := strings.Join(order, ","); !strings.HasSuffix(got, "missed,block") {
		t.Errorf("order %s: the count of dropped lines must come just before the next block", got)
	}
	q.close()
	q.push(proxy.ServerToClient, block) // after close: ignored, no panic
	if len(q.take(nil)) != 0 {
		t.Error("a closed queue took a block")
	}
}
