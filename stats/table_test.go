package stats_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/stats"
)

var t0 = time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)

// req is a client request observation.
func req(seq uint64, exchange, id, method, params string) *proxy.Observation {
	return &proxy.Observation{Seq: seq, Type: proxy.TypeMessage, Time: t0.Add(time.Duration(seq) * time.Millisecond), Session: "s",
		Exchange: exchange, Direction: proxy.ClientToServer, Kind: proxy.KindRequest, Method: method, ID: proxy.RawJSON(id),
		Body: `{"jsonrpc":"2.0","id":` + id + `,"method":"` + method + `","params":` + params + `}`}
}

// answer is the server's answer to the request of seq.
func answer(seq, reqSeq uint64, method string, kind proxy.MessageKind, body string, latency time.Duration) *proxy.Observation {
	return &proxy.Observation{Seq: seq, Type: proxy.TypeMessage, Time: t0.Add(time.Duration(seq) * time.Millisecond), Session: "s",
		Direction: proxy.ServerToClient, Kind: kind, Method: method, RequestSeq: reqSeq, Latency: latency, Body: body}
}

// TestFailedExchangeAndCancellation: a call whose HTTP exchange failed
// counts as an error, a cancelled one as cancelled, and a call whose
// client left stays pending with its age frozen.
func TestFailedExchangeAndCancellation(t *testing.T) {
	tb := stats.New(stats.Options{HungAfter: time.Second})
	tb.Observe(req(1, "e1", "1", "tools/call", `{"name":"x"}`))
	tb.Observe(&proxy.Observation{Seq: 2, Type: proxy.TypeHTTP, Exchange: "e1", HTTP: &proxy.HTTPExchange{Status: 502, Error: "mcpscope: upstream 127.0.0.1:1 refused the connection"}})
	tb.Observe(req(3, "e2", `"a"`, "tools/call", `{"name":"x"}`))
	tb.Observe(&proxy.Observation{Seq: 4, Type: proxy.TypeMessage, Session: "s", Direction: proxy.ClientToServer, Kind: proxy.KindNotification,
		Method: "notifications/cancelled", Body: `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"a"}}`})
	tb.Observe(req(5, "e3", "5", "tools/call", `{"name":"x"}`))
	tb.Observe(&proxy.Observation{Seq: 6, Type: proxy.TypeHTTP, Time: t0.Add(2 * time.Second), Exchange: "e3",
		HTTP: &proxy.HTTPExchange{Error: "client disconnected before the upstream answered"}})
	tb.Observe(req(7, "e4", "7", "tools/call", `{"name":"x"}`))
	tb.Observe(&proxy.Observation{Seq: 8, Type: proxy.TypeHTTP, Exchange: "e4", HTTP: &proxy.HTTPExchange{Status: 404, ContentType: "text/plain"}})

	r, _ := tb.Row("tools/call:x")
	if r.Count != 4 || r.Errors != 2 || r.Cancelled != 1 || r.Pending != 1 || r.Answered != 0 {
		t.Errorf("row %+v: want 4 calls, 2 errors (502, 404 text), 1 cancelled, 1 pending", r)
	}
	if m, _ := tb.Row("tools/call"); m.Count != r.Count || m.Errors != r.Errors || m.Pending != r.Pending {
		t.Errorf("method row %+v, want the tool's figures", m)
	}
	p := tb.Pending(t0.Add(time.Hour))
	if len(p) != 1 || p[0].Seq != 5 || p[0].Age != 2*time.Second-5*time.Millisecond || !p[0].Hung || !strings.Contains(p[0].Ended, "client left") {
		t.Errorf("pending %+v: want the call of seq 5, its age frozen when its client left", p)
	}
	if _, ok := tb.Percentile("tools/call:x", 0.5); ok {
		t.Errorf("a percentile without an answered call")
	}
}

// TestAnswersAndContextCost: answers give latency, bytes and errors; a
// tools/list result gives each tool's definition sizes; tool results
// count towards their tool's context cost.
func TestAnswersAndContextCost(t *testing.T) {
	tb := stats.New(stats.Options{})
	list := `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"search","description":"Find \"things\"","inputSchema":{"type":"object"}},{"name":"small","inputSchema":{}}]}}`
	tb.Observe(req(1, "e1", "1", "tools/list", `{}`))
	tb.Observe(answer(2, 1, "tools/list", proxy.KindResult, list, 3*time.Millisecond))
	tb.Observe(req(3, "e2", "2", "tools/call", `{"name":"search"}`))
	result := `{"jsonrpc":"2.0","id":2,"result":{"content":[],"isError":true}}`
	tb.Observe(answer(4, 3, "tools/call", proxy.KindResult, result, 20*time.Millisecond))
	tb.Observe(req(5, "e3", "3", "tools/call", `{"name":"search"}`))
	tb.Observe(answer(6, 5, "tools/call", proxy.KindError, `{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"no"}}`, 10*time.Millisecond))

	r, _ := tb.Row("tools/call:search")
	if r.Count != 2 || r.Answered != 2 || r.Errors != 1 || r.ToolErrors != 1 || r.RespBytes == 0 || r.P50 < 10*time.Millisecond || r.P50 > 10100*time.Microsecond || r.Max != 20*time.Millisecond {
		t.Errorf("row %+v", r)
	}
	cc := tb.Context()
	if cc.Lists != 1 || cc.LastListBytes != int64(len(list)) || len(cc.Tools) != 2 || !strings.Contains(cc.Estimate, "bytes/4") {
		t.Fatalf("context %+v", cc)
	}
	s := cc.Tools[0]
	if s.Name != "search" || s.DescriptionBytes != len(`Find "things"`) || s.InputSchemaBytes != len(`{"type":"object"}`) ||
		s.Results != 1 || s.ResultBytes != int64(len(result)) {
		t.Errorf("search costs %+v", s)
	}
	if stats.Tokens(s.ResultBytes) != (int64(len(result))+3)/4 {
		t.Errorf("tokens of %d bytes = %d", s.ResultBytes, stats.Tokens(s.ResultBytes))
	}
}

// TestPeerNamesAreBounded: distinct methods past MaxKeys fold into
// "(other)", tools into "tools/call:(other)", long names are cut to
// valid UTF-8, and pending calls past MaxPending are counted, not kept.
func TestPeerNamesAreBounded(t *testing.T) {
	tb := stats.New(stats.Options{MaxPending: 100})
	seq := uint64(0)
	for i := range stats.MaxKeys + 50 {
		seq++
		tb.Observe(req(seq, "e", fmt.Sprint(seq), fmt.Sprintf("m/%d", i), `{}`))
	}
	seq++
	tb.Observe(req(seq, "e", fmt.Sprint(seq), "tools/call", `{"name":"late"}`))
	long := strings.Repeat("é", stats.MaxNameBytes)
	rows := tb.Rows()
	if len(rows) > stats.MaxKeys+2 {
		t.Errorf("%d rows, want at most %d", len(rows), stats.MaxKeys+2)
	}
	other, ok := tb.Row(stats.OtherKey)
	if !ok || other.Count < 50 {
		t.Errorf("(other) = %+v, want the methods past the bound", other)
	}
	if r, ok := tb.Row("tools/call:" + stats.OtherKey); !ok || r.Count != 1 {
		t.Errorf("tools/call:(other) = %+v, %v", r, ok)
	}
	if s := tb.Snapshot(t0); s.Untracked != int64(seq)-100 || len(s.Pending) != 100 {
		t.Errorf("untracked %d, pending %d: want %d, 100", s.Untracked, len(s.Pending), int64(seq)-100)
	}

	small := stats.New(stats.Options{})
	small.Observe(req(1, "e", "1", long, `{}`))
	small.Observe(req(2, "e", "2", "tools/call", `{"name":"`+long+`"}`))
	for _, r := range small.Rows() {
		if len(r.Method) > stats.MaxNameBytes || len(r.Tool) > stats.MaxNameBytes || !utf8.ValidString(r.Key) {
			t.Errorf("row key %q (%d bytes) not bounded to %d valid bytes", r.Key, len(r.Key), stats.MaxNameBytes)
		}
	}
}

// TestForgottenEndedCallIsNoLongerPending: with the pending list full, a
// new request makes room by dropping the oldest ended call (its stream
// closed unanswered); the rows' pending counts drop with it, so they
// always equal the calls listed (rapid found them one apart).
func TestForgottenEndedCallIsNoLongerPending(t *testing.T) {
	tb := stats.New(stats.Options{MaxPending: 2})
	tb.Observe(req(1, "e1", "1", "tools/list", ""))
	tb.Observe(&proxy.Observation{Seq: 2, Type: proxy.TypeStreamClosed, Time: t0, Session: "s", Exchange: "e1"})
	tb.Observe(req(3, "e2", "2", "tools/list", ""))
	tb.Observe(req(4, "e3", "3", "tools/list", "")) // the list is full: call 1, ended, makes room
	snap := tb.Snapshot(t0.Add(time.Second))
	if len(snap.Pending) != 2 {
		t.Fatalf("pending calls %+v, want 2", snap.Pending)
	}
	for _, r := range snap.Rows {
		if r.Method == "tools/list" && r.Pending != 2 {
			t.Errorf("tools/list row: %d pending, want 2 (the calls listed)", r.Pending)
		}
	}
}
