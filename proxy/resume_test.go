package proxy_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
)

// idlessCall answers a POST with a stream of n progress events and the
// call's result, none with an id (as servers without an event store do);
// it counts the requests it gets by method.
func idlessCall(n int, gets *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
			http.Error(w, "no GET stream here", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\",\"progress\":%d}}\n\n", i)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"done\":true}}\n\n")
	})
}

type idEvent struct{ id, data string }

// readEvents reads SSE events off resp until stop says so or the stream
// ends.
func readIDEvents(resp *http.Response, stop func([]idEvent) bool) []idEvent {
	var evs []idEvent
	var cur idEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		switch line := sc.Text(); {
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		case line == "":
			evs = append(evs, cur)
			cur = idEvent{}
			if stop != nil && stop(evs) {
				return evs
			}
		}
	}
	return evs
}

func withLog(log store.EventLog) func(*proxy.Proxy) {
	return func(p *proxy.Proxy) { p.ReplayLog, p.DrainFor = log, time.Minute }
}

// TestResumeFromMintedIDsWithoutUpstreamIDs: the upstream gives no event
// ids, so the proxy mints them and logs the events; a client cut after the
// fourth resumes with its id and gets every later event once, from the log
// (the upstream cannot resume and is not asked), through the same instance
// and through another one sharing a Redis log.
func TestResumeFromMintedIDsWithoutUpstreamIDs(t *testing.T) {
	mr := miniredis.RunT(t)
	shared := func() store.EventLog {
		r, err := store.NewRedis("redis://"+mr.Addr()+"/0", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r.EventLog(store.LogLimits{Events: 100, Age: time.Minute})
	}
	cases := map[string]func(up string, wire func(*proxy.Proxy)) (first, second *harness){
		"same instance, memory log": func(up string, wire func(*proxy.Proxy)) (*harness, *harness) {
			hs := startProxy(t, up, both(wire, withLog(store.NewMemoryLog(store.LogLimits{Events: 100}))))
			return hs, hs
		},
		"another instance, Redis log": func(up string, wire func(*proxy.Proxy)) (*harness, *harness) {
			return startProxy(t, up, both(wire, withLog(shared()))), startProxy(t, up, both(wire, withLog(shared())))
		},
	}
	for _, w := range wires { // the drain after the client left reads the upstream over each
		for name, start := range cases {
			t.Run(w.name+"/"+name, func(t *testing.T) { resumeFromMintedIDs(t, w, start) })
		}
	}
}

// both applies f, then g, either of which may be nil.
func both(f, g func(*proxy.Proxy)) func(*proxy.Proxy) {
	return func(p *proxy.Proxy) {
		for _, c := range []func(*proxy.Proxy){f, g} {
			if c != nil {
				c(p)
			}
		}
	}
}

// resumeFromMintedIDs is one case of TestResumeFromMintedIDsWithoutUpstreamIDs
// with the upstream reached over w.
func resumeFromMintedIDs(t *testing.T, w wire, start func(up string, wire func(*proxy.Proxy)) (first, second *harness)) {
	var gets atomic.Int64
	a, b := start(startUpstreamOver(t, idlessCall(10, &gets), w))
	resp, err := a.Client.Post(a.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	first := readIDEvents(resp, func(evs []idEvent) bool { return len(evs) == 4 })
	resp.Body.Close() // the client's connection drops
	if len(first) != 4 || !strings.HasPrefix(first[3].id, "mcps1.") {
		t.Fatalf("first part: %+v; want 4 events with minted ids", first)
	}
	// The proxy read the whole upstream stream meanwhile; resume.
	var rest []idEvent
	waitFor(t, func() bool {
		req, _ := http.NewRequest("GET", b.URL+"/mcp", nil)
		req.Header.Set("Last-Event-ID", first[3].id)
		resp, err := b.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rest = readIDEvents(resp, nil)
		return len(rest) == 7
	})
	for i, e := range rest[:6] {
		if want := fmt.Sprintf(`"progress":%d}`, i+5); !strings.Contains(e.data, want) {
			t.Fatalf("resumed event %d is %q; want progress %d (every later event once, in order)", i, e.data, i+5)
		}
	}
	if !strings.Contains(rest[6].data, `"result"`) {
		t.Errorf("the resumed stream ended with %q, not the result", rest[6].data)
	}
	if rest[0].id == first[3].id || !strings.HasPrefix(rest[6].id, "mcps1.") {
		t.Errorf("ids after resuming: %q … %q; want minted ids going on", rest[0].id, rest[6].id)
	}
	if n := gets.Load(); n != 0 {
		t.Errorf("the upstream got %d GETs; it gives no ids, so the log alone answers", n)
	}
	replayed := b.Seen.Await(t, 7, func(o *proxy.Observation) bool { return o.Type == proxy.TypeSSEEvent && o.Has("replayed") })
	// (An early attempt, before the drain was done, replayed some too.)
	if len(replayed) < 7 || replayed[len(replayed)-1].MintedID == "" {
		t.Errorf("%d replayed events observed; want at least the last attempt's 7, with their minted ids", len(replayed))
	}
}

// TestUpstreamIDsPassThroughWithoutRules: where nothing changed a stream
// and the upstream gives ids, the client sees the upstream's bytes, ids
// included, even with a replay log configured.
func TestUpstreamIDsPassThroughWithoutRules(t *testing.T) {
	log := store.NewMemoryLog(store.LogLimits{Events: 100})
	hs := through(t, tenEvents(), withLog(log))
	evs := postForEvents(t, hs)
	if len(evs) != 10 || evs[9].id != "10" {
		t.Fatalf("got %+v; want the upstream's ten events with its ids", evs)
	}
	if log.Streams() != 0 {
		t.Errorf("%d streams logged; nothing needed minted ids", log.Streams())
	}
}

// TestMintedIDsWhenARuleChangesTheStream: once a rule changes an event, the
// stream's ids are minted from then on (the upstream's could no longer
// resume what the client saw), and an injected event is logged too.
func TestMintedIDsWhenARuleChangesTheStream(t *testing.T) {
	log := store.NewMemoryLog(store.LogLimits{Events: 100})
	hs := through(t, tenEvents(), func(p *proxy.Proxy) {
		withLog(log)(p)
		withRules(t, `
- name: mark
  match: params.progress=3
  action: modify
  set: {params.message: "changed"}
- name: announce
  match: params.progress=5
  action: inject
  notification: {method: notifications/message, params: {level: info, data: "injected"}}
`)(p)
	})
	var evs []string
	for _, e := range postForEvents(t, hs) {
		evs = append(evs, "id: "+e.id+"\ndata: "+e.data)
	}
	if len(evs) != 11 {
		t.Fatalf("got %d events; want 10 and the injected one", len(evs))
	}
	if !strings.HasPrefix(evs[1], "id: 2\n") {
		t.Errorf("event 2 (before any change) is %q; want the upstream's id", evs[1])
	}
	for i, e := range evs[2:] {
		if !strings.HasPrefix(e, "id: mcps1.") {
			t.Fatalf("event %d after the change is %q; want a minted id", i+3, e)
		}
	}
	if !strings.Contains(evs[2], `"changed"`) || !strings.Contains(evs[5], "injected") {
		t.Errorf("the change or the injected event is missing: %q, %q", evs[2], evs[5])
	}
	id := strings.TrimPrefix(strings.SplitN(evs[10], "\n", 2)[0], "id: ")
	key := strings.Split(id, ".")[1]
	logged, complete, err := log.After(context.Background(), key, 0)
	if err != nil || !complete || len(logged) != 9 {
		t.Fatalf("log after 0: %d events, complete %v, err %v; want the 9 minted", len(logged), complete, err)
	}
}

// postForEvents makes a tools/call POST through hs and reads its stream.
func postForEvents(t *testing.T, hs *harness) []idEvent {
	t.Helper()
	resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return readIDEvents(resp, nil)
}

// replayingEverything answers a POST with ten events (ids u1…u10) in one
// write, and a GET, whatever its Last-Event-ID, with the same ten again: an
// upstream that resumes badly.
func replayingEverything() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		var all strings.Builder
		for i := 1; i <= 10; i++ {
			fmt.Fprintf(&all, "id: u%d\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\",\"progress\":%d}}\n\n", i, i)
		}
		fmt.Fprint(w, all.String())
	})
}

// TestResumeFlagsDuplicates: events the log replayed and the upstream then
// sends again are forwarded and flagged "duplicate", never dropped.
func TestResumeFlagsDuplicates(t *testing.T) {
	log := store.NewMemoryLog(store.LogLimits{Events: 100})
	hs := through(t, replayingEverything(), func(p *proxy.Proxy) {
		withLog(log)(p)
		withRules(t, `
- name: mark
  match: method:notifications/progress
  action: modify
  set: {params.message: "seen"}
`)(p)
	})
	resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	first := readIDEvents(resp, func(evs []idEvent) bool { return len(evs) == 4 })
	resp.Body.Close()
	// The stream ends once writing to its client fails; what it read before
	// (events up to the end of that read, however the upstream's bytes were
	// chunked) is in the log. Resume once it has ended.
	hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamClosed })
	req, _ := http.NewRequest("GET", hs.URL+"/mcp", nil)
	req.Header.Set("Last-Event-ID", first[3].id)
	resumed, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rest := readIDEvents(resumed, nil)
	resumed.Body.Close()
	// What the log had after the 4th event (5, 6, …), then the upstream's ten again.
	logged := len(rest) - 10
	if logged < 1 || logged > 6 {
		t.Fatalf("after resuming got %d events, want 1 to 6 from the log and the upstream's 10 (forwarded, not dropped): %v", len(rest), rest)
	}
	for i, e := range rest[:logged] {
		if want := fmt.Sprintf(`"progress":%d,`, 5+i); !strings.Contains(e.data, want) {
			t.Fatalf("replayed event %d is %s, want progress %d", i, e.data, 5+i)
		}
	}
	dups := hs.Seen.Await(t, logged, func(o *proxy.Observation) bool { return o.Type == proxy.TypeSSEEvent && o.Has("duplicate") })
	if len(dups) != logged || dups[0].EventID != "u5" {
		t.Errorf("%d events flagged duplicate (first %q); want the %d the log had replayed, from u5", len(dups), dups[0].EventID, logged)
	}
}

// TestResumeWaitsOutAConflict: an upstream that answers a resumption with
// 409 while it still serves the stream (go-sdk does, until it notices the
// proxy cancelled the dropped request) gets the GET again, once per
// back-off, until it answers; one that keeps refusing has its 409 passed
// through after about a second, and a 409 to anything else passes at once.
func TestResumeWaitsOutAConflict(t *testing.T) {
	var refusals, requests atomic.Int64
	refusals.Store(2)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("Last-Event-ID") == "" || refusals.Add(-1) >= 0 {
			http.Error(w, "stream ID conflicts with ongoing stream", http.StatusConflict)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "id: 8\ndata: {}\n\n")
	})
	hs := startProxy(t, startUpstream(t, up).URL, nil)
	get := func(lastEventID string) (int, time.Duration) {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/mcp", nil)
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		start := time.Now()
		resp, err := hs.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	if status, _ := get("7"); status != http.StatusOK || requests.Load() != 3 {
		t.Errorf("resumption: status %d after %d upstream requests, want 200 after 3", status, requests.Load())
	}
	refusals.Store(1 << 30)
	requests.Store(0)
	if status, took := get("7"); status != http.StatusConflict || took < resumeConflictWaitAtLeast || requests.Load() < 3 {
		t.Errorf("a lasting conflict: status %d after %v and %d requests, want 409 after retrying for most of a second", status, took, requests.Load())
	}
	requests.Store(0)
	if status, _ := get(""); status != http.StatusConflict || requests.Load() != 1 {
		t.Errorf("a GET that resumes nothing: status %d after %d requests, want its 409 at once", status, requests.Load())
	}
}

// resumeConflictWaitAtLeast is how long the proxy retries a conflicting
// resumption at the least (the back-offs that fit in resumeConflictWait).
const resumeConflictWaitAtLeast = 500 * time.Millisecond
