package checks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestProgressKeepsACallAlive: on a recording's clock, a call that sends
// progress every 8 s is not hung at a 10 s bound; once progress stops it
// is, once, and the finding says for how long nothing came.
func TestProgressKeepsACallAlive(t *testing.T) {
	c := checks.New(checks.Options{HungAfter: 10 * time.Second})
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var found []*proxy.Observation
	report := func(o *proxy.Observation) { found = append(found, o) }
	c.Observe(&proxy.Observation{Seq: 1, Time: t0, Type: proxy.TypeMessage, Session: "s", Direction: proxy.ClientToServer, Kind: proxy.KindRequest,
		Method: "tools/call", ID: "1", Body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","_meta":{"progressToken":"p"}}}`}, report)
	for i, at := range []time.Duration{8 * time.Second, 16 * time.Second} {
		c.Observe(&proxy.Observation{Seq: uint64(2 + i), Time: t0.Add(at), Type: proxy.TypeMessage, Session: "s", Direction: proxy.ServerToClient,
			Kind: proxy.KindNotification, Method: "notifications/progress", Body: `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":` + string(rune('1'+i)) + `}}`}, report)
	}
	c.Tick(t0.Add(20*time.Second), report)
	if len(found) != 0 {
		t.Fatalf("a call with progress 4 s ago is reported: %s", found[0].Finding.Message)
	}
	c.Tick(t0.Add(27*time.Second), report)
	c.Tick(t0.Add(40*time.Second), report)
	if len(found) != 1 || found[0].Finding.Rule != checks.RuleHung || found[0].Finding.About != 1 ||
		!strings.Contains(found[0].Finding.Message, "no progress for 11s") {
		t.Fatalf("want one hung finding about the call, 11 s after its last progress; got %d: %s", len(found), describe(found))
	}
}

// TestLateEventsOfAnEndedSessionAreNotJudged: progress observed after its
// session was closed (an event of the GET stream the proxy read late) is
// not reported as for an unknown token; the same in a live session is.
func TestLateEventsOfAnEndedSessionAreNotJudged(t *testing.T) {
	c := checks.New(checks.Options{})
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var found []*proxy.Observation
	report := func(o *proxy.Observation) { found = append(found, o) }
	progress := func(seq uint64, session string) *proxy.Observation {
		return &proxy.Observation{Seq: seq, Time: t0, Type: proxy.TypeSSEEvent, Session: session, Direction: proxy.ServerToClient,
			Kind: proxy.KindNotification, Method: "notifications/progress", Body: `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}}`}
	}
	c.Observe(&proxy.Observation{Seq: 1, Time: t0, Type: proxy.TypeSession, Session: "gone", Reason: "closed"}, report)
	c.Observe(progress(2, "gone"), report)
	if len(found) != 0 {
		t.Fatalf("a late event of a closed session was judged: %s", describe(found))
	}
	c.Observe(progress(3, "live"), report)
	if len(found) != 1 || found[0].Finding.Rule != checks.RuleProgressUnknownToken {
		t.Fatalf("want the unknown token reported in a live session; got %s", describe(found))
	}
}
