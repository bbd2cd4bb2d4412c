package stats_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"
	"pgregory.net/rapid"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/stats"
)

// TestHostileObservationsNeverPanic feeds random observations (a
// recording is an untrusted file): the table never panics, its text is
// free of control characters, every line is the width asked, and its
// pending count never goes negative.
func TestHostileObservationsNeverPanic(t *testing.T) {
	words := []string{"tools/call", "tools/list", "notifications/cancelled", "x\x1b[2J\x1b]0;t\x07", "", strings.Repeat("é", 200)}
	rapid.Check(t, func(t *rapid.T) {
		tb := stats.New(stats.Options{MaxPending: 8})
		n := rapid.IntRange(1, 60).Draw(t, "n")
		for range n {
			o := &proxy.Observation{
				Seq:        uint64(rapid.IntRange(0, 20).Draw(t, "seq")),
				Type:       rapid.SampledFrom([]proxy.Type{proxy.TypeMessage, proxy.TypeSSEEvent, proxy.TypeHTTP, proxy.TypeStreamClosed, proxy.TypeDropped}).Draw(t, "type"),
				Time:       time.Unix(int64(rapid.IntRange(0, 100).Draw(t, "time")), 0),
				Session:    rapid.SampledFrom(words).Draw(t, "session"),
				Exchange:   rapid.SampledFrom([]string{"", "e1", "e2"}).Draw(t, "exchange"),
				Direction:  rapid.SampledFrom([]proxy.Direction{proxy.ClientToServer, proxy.ServerToClient}).Draw(t, "dir"),
				Kind:       rapid.SampledFrom([]proxy.MessageKind{proxy.KindRequest, proxy.KindNotification, proxy.KindResult, proxy.KindError, proxy.KindInvalid, ""}).Draw(t, "kind"),
				Method:     rapid.SampledFrom(words).Draw(t, "method"),
				ID:         proxy.RawJSON(rapid.SampledFrom([]string{"1", `"a"`, "", "null"}).Draw(t, "id")),
				RequestSeq: uint64(rapid.IntRange(0, 20).Draw(t, "reqseq")),
				Latency:    time.Duration(rapid.Int64Range(-5, 1e10).Draw(t, "latency")),
				Body:       rapid.SampledFrom([]string{"", "{", `{"params":{"name":"x\u001b[2J","requestId":1}}`, `{"result":{"tools":[{"name":"a","description":7},{"name":{}}],"isError":true}}`, `{"result":{"tools":{}}}`}).Draw(t, "body"),
				Dropped:    int64(rapid.IntRange(0, 3).Draw(t, "dropped")),
				Size:       rapid.IntRange(0, 100).Draw(t, "size"),
			}
			if o.Type == proxy.TypeHTTP && rapid.Bool().Draw(t, "has http") {
				o.HTTP = &proxy.HTTPExchange{Status: rapid.SampledFrom([]int{0, 200, 404, 502}).Draw(t, "status"),
					Error: rapid.SampledFrom([]string{"", "refused", "client disconnected before the upstream answered"}).Draw(t, "err")}
			}
			tb.Observe(o)
		}
		snap := tb.Snapshot(time.Unix(200, 0))
		pending := map[string]int{}
		for _, c := range snap.Pending {
			pending[c.Key]++
		}
		for _, r := range snap.Rows {
			if r.Tool != "" || r.Method != "tools/call" {
				if r.Pending != pending[r.Key] {
					t.Fatalf("row %+v, but %d of its calls pending", r, pending[r.Key])
				}
			}
		}
		for _, l := range stats.Lines(snap, 70) {
			if strings.ContainsAny(l.Text, "\x1b\x07\n") || runewidth.StringWidth(l.Text) > 70 {
				t.Fatalf("line with a control character, or wider than 70: %q", l.Text)
			}
		}
	})
}
