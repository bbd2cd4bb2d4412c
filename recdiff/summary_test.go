package recdiff

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/mcpscope/mcpscope/proxy"
)

// feed writes observations into a summary as the proxy publishes them.
type feed struct {
	s   *Summary
	seq uint64
}

func newFeed(opts Options) *feed { return &feed{s: NewSummary(opts)} }

func (f *feed) add(o *proxy.Observation) uint64 {
	f.seq++
	o.Seq, o.Type = f.seq, proxy.TypeMessage
	if o.Session == "" {
		o.Session = "S1"
	}
	f.s.Add(o)
	return o.Seq
}

// call sends a request and, unless result is "", its result.
func (f *feed) call(id, method, params, result string) uint64 {
	seq := f.add(&proxy.Observation{Direction: proxy.ClientToServer, Kind: proxy.KindRequest, Method: method, ID: proxy.RawJSON(id),
		Body: `{"jsonrpc":"2.0","id":` + id + `,"method":"` + method + `","params":` + params + `}`})
	if result != "" {
		f.answer(seq, id, method, result)
	}
	return seq
}

func (f *feed) answer(req uint64, id, method, result string) {
	kind := proxy.KindResult
	body := `{"jsonrpc":"2.0","id":` + id + `,"result":` + result + `}`
	if strings.HasPrefix(result, "error:") {
		kind, body = proxy.KindError, `{"jsonrpc":"2.0","id":`+id+`,"error":`+strings.TrimPrefix(result, "error:")+`}`
	}
	f.add(&proxy.Observation{Direction: proxy.ServerToClient, Kind: kind, Method: method, ID: proxy.RawJSON(id), RequestSeq: req,
		Latency: time.Millisecond, Body: body})
}

func TestCallsMatchIgnoringIdsMetaAndTimestamps(t *testing.T) {
	a, b := newFeed(Options{}), newFeed(Options{})
	a.call("1", "tools/call", `{"name":"echo","arguments":{"text":"hi","n":1},"_meta":{"progressToken":"a"}}`,
		`{"content":[{"type":"text","text":"hi"}],"_meta":{"took":5},"createdAt":"2026-12-05T08:00:00Z"}`)
	b.call(`"x-7"`, "tools/call", `{"_meta":{"progressToken":9},"arguments":{"n":1.0,"text":"hi"},"name":"echo"}`,
		`{"createdAt":"2026-12-06T09:00:00Z","content":[{"text":"hi","type":"text"}]}`)
	r := Compare(a.s, b.s)
	if r.Calls.Matched != 1 || r.Calls.CountDiffer != 0 || r.Differs() {
		t.Errorf("calls = %+v, differs %v; want one matched, the same", r.Calls, r.Differs())
	}
}

func TestCallsInOrderOfOccurrence(t *testing.T) {
	a, b := newFeed(Options{}), newFeed(Options{})
	for _, res := range []string{`{"n":1}`, `{"n":2}`} {
		a.call("1", "tools/call", `{"name":"echo","arguments":{"text":"hi"}}`, res)
	}
	a.call("3", "resources/read", `{"uri":"demo://x"}`, `{"contents":[]}`)
	a.call("4", "ping", `{}`, `{}`)
	for _, res := range []string{`{"n":1}`, `{"n":3}`} {
		b.call("1", "tools/call", `{"name":"echo","arguments":{"text":"hi"}}`, res)
	}
	b.call("3", "resources/read", `{"uri":"demo://x"}`, `error:{"code":-32002,"message":"not found"}`)
	b.call("4", "ping", `{}`, "") // no answer
	b.call("5", "tools/call", `{"name":"echo","arguments":{"text":"new"}}`, `{}`)
	r := Compare(a.s, b.s)
	want := []CallDiff{
		{Call: `tools/call echo {"text":"hi"}`, Occurrence: 2, SeqA: 3, SeqB: 3, Details: []Difference{{Path: "result.n", Before: "2", After: "3"}}},
		{Call: `resources/read {"uri":"demo://x"}`, Occurrence: 1, SeqA: 5, SeqB: 5, Details: []Difference{
			{Path: "error", After: `{"code":-32002,"message":"not found"}`}, {Path: "result", Before: `{"contents":[]}`}}},
		{Call: "ping", Occurrence: 1, SeqA: 7, SeqB: 7, Reason: "no answer in B"},
	}
	if !reflect.DeepEqual(r.Calls.Differ, want) || r.Calls.Matched != 4 || r.Calls.CountDiffer != 3 {
		t.Errorf("calls differ =\n%+v\nwant\n%+v", r.Calls, want)
	}
	if r.Calls.CountOnlyB != 1 || r.Calls.OnlyB[0].Call != `tools/call echo {"text":"new"}` || r.Calls.CountOnlyA != 0 || !r.Differs() {
		t.Errorf("only in B = %+v", r.Calls)
	}
}

func TestListingsPagesAndDrift(t *testing.T) {
	f := newFeed(Options{})
	req := f.call("1", "tools/list", `{}`, "")
	f.answer(req, "1", "tools/list", `{"tools":[{"name":"a"}],"nextCursor":"c1"}`)
	req = f.call("2", "tools/list", `{"cursor":"c1"}`, "")
	f.answer(req, "2", "tools/list", `{"tools":[{"name":"b"}]}`)
	f.call("3", "tools/list", `{}`, `{"tools":[{"name":"a"}]}`) // b gone, unannounced
	f.add(&proxy.Observation{Direction: proxy.ServerToClient, Kind: proxy.KindNotification, Method: "notifications/tools/list_changed",
		Body: `{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`})
	f.call("4", "tools/list", `{}`, `{"tools":[{"name":"a"},{"name":"c"}],"nextCursor":""}`)
	f.call("5", "tools/list", `{}`, `{"tools":[{"name":"c"},{"name":"a","_meta":{"v":2}}]}`) // the same
	if got := len(f.s.firsts[ListTools].listing.items); got != 2 {
		t.Errorf("first listing has %d tools, want a and b from two pages", got)
	}
	d := f.s.drifts
	if len(d) != 2 || d[0].Announced || d[1].Announced == false ||
		!reflect.DeepEqual(d[0].Changes, []Change{{Kind: Removed, List: ListTools, Name: "b"}}) ||
		!reflect.DeepEqual(d[1].Changes, []Change{{Kind: Added, List: ListTools, Name: "c"}}) {
		t.Errorf("drifts = %+v", d)
	}
	if len(f.s.interned) != 3 {
		t.Errorf("%d listings kept, want 3 distinct", len(f.s.interned))
	}
	if r := Compare(f.s, f.s); r.Differs() || !r.Drift.Same {
		t.Errorf("a summary differs from itself: %+v", r)
	}
}

func TestBoundsAreNoted(t *testing.T) {
	a, b := newFeed(Options{MaxCalls: 2, MaxBytes: 30}), newFeed(Options{MaxCalls: 2, MaxBytes: 30})
	for i, f := range []*feed{a, b} {
		f.call("1", "ping", `{}`, `{"x":"`+strings.Repeat("y", 40+i)+`"}`) // past MaxBytes: a digest
		f.call("2", "ping", `{"n":1}`, `{}`)
		f.call("3", "ping", `{"n":2}`, `{}`) // past MaxCalls
	}
	r := Compare(a.s, b.s)
	if r.Calls.Matched != 2 || r.Calls.CountDiffer != 1 || r.Calls.Differ[0].Reason != "answers too large to show where they differ" {
		t.Errorf("calls = %+v", r.Calls)
	}
	notes := strings.Join(r.NotesA, "\n")
	if !strings.Contains(notes, "only the first 2 requests were compared") || !strings.Contains(notes, "later answers are compared by digest only") {
		t.Errorf("notes = %q", r.NotesA)
	}
}

// TestAddNeverPanics: any text in any message field is taken without a
// panic, and two such summaries compare and print.
func TestAddNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var sums [2]*Summary
		for i := range sums {
			f := newFeed(Options{})
			for range rapid.IntRange(0, 12).Draw(t, "n") {
				f.add(&proxy.Observation{
					Direction:  rapid.SampledFrom([]proxy.Direction{proxy.ClientToServer, proxy.ServerToClient}).Draw(t, "dir"),
					Kind:       rapid.SampledFrom([]proxy.MessageKind{proxy.KindRequest, proxy.KindResult, proxy.KindError, proxy.KindNotification}).Draw(t, "kind"),
					Method:     rapid.SampledFrom([]string{"tools/list", "tools/call", "prompts/list", "notifications/tools/list_changed", "x"}).Draw(t, "method"),
					RequestSeq: uint64(rapid.IntRange(0, 12).Draw(t, "req")),
					Latency:    time.Duration(rapid.IntRange(0, 5).Draw(t, "lat")),
					Body: rapid.OneOf(rapid.String(), rapid.SampledFrom([]string{
						`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"c"}}`,
						`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"},{"name":"a"},{}],"nextCursor":"c"}}`,
						`{"jsonrpc":"2.0","id":1,"result":{"tools":{}}}`,
						`{"jsonrpc":"2.0","id":1,"result":[1,2]}`,
						`{"jsonrpc":"2.0","id":1,"error":{"code":1}}`,
						`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}`,
					})).Draw(t, "body"),
				})
			}
			sums[i] = f.s
		}
		r := Compare(sums[0], sums[1])
		var b strings.Builder
		if err := r.WriteText(&b, TextOptions{NameA: "a", NameB: "b"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTextIsTerminalSafe: peer text (tool names, call labels, values,
// sessions) reaches the report without escape sequences, and lines fit
// the width.
func TestTextIsTerminalSafe(t *testing.T) {
	a, b := newFeed(Options{}), newFeed(Options{})
	evil := `\u001b]52;c;aGk=\u0007\u001b[2J`
	a.call("1", "tools/list", `{}`, `{"tools":[{"name":"`+evil+`x","description":"`+evil+`"}]}`)
	b.call("1", "tools/list", `{}`, `{"tools":[{"name":"`+evil+`x","description":"`+evil+`!"}]}`)
	a.call("2", "tools/call", `{"name":"`+evil+`","arguments":{"`+evil+`":1}}`, `{"v":"`+evil+`"}`)
	b.call("2", "tools/call", `{"name":"`+evil+`","arguments":{"`+evil+`":1}}`, `{"v":"`+evil+`2"}`)
	r := Compare(a.s, b.s)
	var out strings.Builder
	if err := r.WriteText(&out, TextOptions{NameA: "a\x1b[31m", NameB: "b", Width: 60}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07") {
		t.Errorf("escape sequences in the report:\n%q", out.String())
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if n := len([]rune(l)); n > 60 {
			t.Errorf("line of %d runes, wider than 60: %q", n, l)
		}
	}
	if r.Calls.CountDiffer != 1 || len(r.Lists) != 1 || len(r.Lists[0].Changes) != 1 {
		t.Errorf("report = %+v", r)
	}
}

// TestIgnorePathsReachListingsAndParams: --ignore paths are rooted at the
// message: result.tools.#.description hides a changed description,
// params.arguments.nonce lets calls with different nonces meet.
func TestIgnorePathsReachListingsAndParams(t *testing.T) {
	var opts Options
	for _, s := range []string{"result.tools.#.description", "params.arguments.nonce"} {
		p, err := ParsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		opts.Ignore = append(opts.Ignore, p)
	}
	a, b := newFeed(opts), newFeed(opts)
	a.call("1", "tools/list", `{}`, `{"tools":[{"name":"x","description":"old"}]}`)
	b.call("1", "tools/list", `{}`, `{"tools":[{"name":"x","description":"new"}]}`)
	a.call("2", "tools/call", `{"name":"x","arguments":{"nonce":"n1","v":1}}`, `{}`)
	b.call("2", "tools/call", `{"name":"x","arguments":{"nonce":"n2","v":1}}`, `{}`)
	if r := Compare(a.s, b.s); r.Differs() || r.Calls.Matched != 1 {
		t.Errorf("with the ignore paths: %+v", r)
	}
	a, b = newFeed(Options{}), newFeed(Options{})
	a.call("1", "tools/list", `{}`, `{"tools":[{"name":"x","description":"old"}]}`)
	b.call("1", "tools/list", `{}`, `{"tools":[{"name":"x","description":"new"}]}`)
	if r := Compare(a.s, b.s); !r.Differs() || len(r.Lists[0].Changes) != 1 {
		t.Errorf("without them, the description differs: %+v", r.Lists)
	}
}

// TestDriftAnnouncedOrNotDiffers: the same change within a session is a
// difference when one server announced it and the other did not.
func TestDriftAnnouncedOrNotDiffers(t *testing.T) {
	run := func(announce bool) *Summary {
		f := newFeed(Options{})
		f.call("1", "tools/list", `{}`, `{"tools":[{"name":"a"}]}`)
		if announce {
			f.add(&proxy.Observation{Direction: proxy.ServerToClient, Kind: proxy.KindNotification, Method: "notifications/tools/list_changed",
				Body: `{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`})
		}
		f.call("2", "tools/list", `{}`, `{"tools":[]}`)
		return f.s
	}
	if r := Compare(run(true), run(true)); r.Differs() || !r.Drift.Same || len(r.Drift.A) != 1 {
		t.Errorf("the same announced drift: %+v", r.Drift)
	}
	if r := Compare(run(true), run(false)); !r.Differs() || r.Drift.Same {
		t.Errorf("announced against unannounced: %+v", r.Drift)
	}
}

// TestPendingRequestsAreBounded: requests never answered do not pile up
// past maxPending; the oldest are forgotten, later calls still compared.
func TestPendingRequestsAreBounded(t *testing.T) {
	f := newFeed(Options{})
	for range maxPending + 10 {
		f.call("1", "ping", `{}`, "")
	}
	if len(f.s.pending) > maxPending {
		t.Errorf("%d requests pending, bound %d", len(f.s.pending), maxPending)
	}
	f.call("2", "tools/call", `{"name":"late"}`, `{"ok":true}`)
	calls := f.s.calls
	var late *series
	for _, sr := range calls {
		if strings.Contains(sr.label, "late") {
			late = sr
		}
	}
	if late == nil || !late.calls[0].answered || !strings.Contains(strings.Join(f.s.Notes(), "\n"), "answers to the oldest were not linked") {
		t.Errorf("the late call: %+v; notes %q", late, f.s.Notes())
	}
}

// TestDriftIsBounded: a drift keeps its first MaxListed changes and
// counts them all; a listing past MaxListingBytes is noted, not kept.
func TestDriftIsBounded(t *testing.T) {
	f := newFeed(Options{})
	var tools []string
	for i := range MaxListed + 10 {
		tools = append(tools, `{"name":"t`+strings.Repeat("x", i)+`"}`)
	}
	f.call("1", "tools/list", `{}`, `{"tools":[`+strings.Join(tools, ",")+`]}`)
	f.call("2", "tools/list", `{}`, `{"tools":[]}`)
	if d := f.s.drifts; len(d) != 1 || len(d[0].Changes) != MaxListed || d[0].CountChanges != MaxListed+10 {
		t.Fatalf("drift keeps %d changes of %d", len(d[0].Changes), d[0].CountChanges)
	}
	big := `{"tools":[{"name":"big","description":"` + strings.Repeat("d", MaxListingBytes) + `"}]}`
	f.call("3", "tools/list", `{}`, big)
	if len(f.s.drifts) != 1 || !strings.Contains(strings.Join(f.s.Notes(), "\n"), "larger than 16 MiB") {
		t.Errorf("a listing past MaxListingBytes: %d drifts, notes %q", len(f.s.drifts), f.s.Notes())
	}
}

// TestTextColours: colours only when asked, and the peer's escapes
// never, even then.
func TestTextColours(t *testing.T) {
	a, b := newFeed(Options{}), newFeed(Options{})
	a.call("1", "tools/list", `{}`, `{"tools":[]}`)
	b.call("1", "tools/list", `{}`, `{"tools":[{"name":"new\u001b[2J"}]}`)
	var out strings.Builder
	if err := Compare(a.s, b.s).WriteText(&out, TextOptions{Colour: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), green+"  + new"+reset) || strings.Contains(out.String(), "\x1b[2J") {
		t.Errorf("coloured report:\n%q", out.String())
	}
}

// BenchmarkSummaryAdd: one tools/call and its answer into a summary.
func BenchmarkSummaryAdd(b *testing.B) {
	f := newFeed(Options{})
	b.ReportAllocs()
	for i := range b.N {
		id := strconv.Itoa(i)
		f.call(id, "tools/call", `{"name":"echo","arguments":{"text":"m`+strconv.Itoa(i%1000)+`"},"_meta":{"progressToken":`+id+`}}`,
			`{"content":[{"type":"text","text":"r`+strconv.Itoa(i%1000)+`"}],"structuredContent":{"n":`+id+`,"createdAt":"2026-12-05T08:00:00Z"}}`)
	}
}
