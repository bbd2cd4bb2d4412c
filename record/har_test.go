package record_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// validateHAR checks an archive against the HAR 1.2 structure
// (http://www.softwareishard.com/blog/har-12-spec/): the required fields
// and their types, the timings rules, and that every field the spec does
// not name is a custom one (starts with "_"). It returns every violation.
func validateHAR(data []byte) []string {
	var errs []string
	bad := func(path, format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	obj := func(v any, path string) map[string]any {
		m, ok := v.(map[string]any)
		if !ok {
			bad(path, "want an object, got %T", v)
		}
		return m
	}
	str := func(m map[string]any, key, path string, required bool) (string, bool) {
		v, ok := m[key]
		if !ok {
			if required {
				bad(path+"."+key, "missing")
			}
			return "", false
		}
		s, ok := v.(string)
		if !ok {
			bad(path+"."+key, "want a string, got %T", v)
		}
		return s, ok
	}
	num := func(m map[string]any, key, path string, required bool) (float64, bool) {
		v, ok := m[key]
		if !ok {
			if required {
				bad(path+"."+key, "missing")
			}
			return 0, false
		}
		f, ok := v.(float64)
		if !ok {
			bad(path+"."+key, "want a number, got %T", v)
		}
		return f, ok
	}
	arr := func(m map[string]any, key, path string, required bool) []any {
		v, ok := m[key]
		if !ok {
			if required {
				bad(path+"."+key, "missing")
			}
			return nil
		}
		a, ok := v.([]any)
		if !ok {
			bad(path+"."+key, "want an array, got %T", v)
		}
		return a
	}
	// only reports keys the spec does not define and that are not custom.
	only := func(m map[string]any, path string, keys ...string) {
		for k := range m {
			if !strings.HasPrefix(k, "_") && !slices.Contains(keys, k) {
				bad(path+"."+k, "not a HAR 1.2 field (custom fields start with _)")
			}
		}
	}
	date := func(m map[string]any, key, path string) {
		if s, ok := str(m, key, path, true); ok {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				bad(path+"."+key, "not an ISO 8601 date: %v", err)
			}
		}
	}
	nameValues := func(m map[string]any, key, path string) {
		for i, v := range arr(m, key, path, true) {
			p := fmt.Sprintf("%s.%s[%d]", path, key, i)
			if nv := obj(v, p); nv != nil {
				str(nv, "name", p, true)
				str(nv, "value", p, true)
				str(nv, "comment", p, false)
			}
		}
	}
	cookies := func(m map[string]any, path string) {
		for i, v := range arr(m, "cookies", path, true) {
			p := fmt.Sprintf("%s.cookies[%d]", path, i)
			if c := obj(v, p); c != nil {
				str(c, "name", p, true)
				str(c, "value", p, true)
			}
		}
	}

	log := obj(root["log"], "log")
	if log == nil {
		return errs
	}
	only(log, "log", "version", "creator", "browser", "pages", "entries", "comment")
	if v, _ := str(log, "version", "log", true); v != "1.2" {
		bad("log.version", "%q, want 1.2", v)
	}
	if c := obj(log["creator"], "log.creator"); c != nil {
		only(c, "log.creator", "name", "version", "comment")
		str(c, "name", "log.creator", true)
		str(c, "version", "log.creator", true)
	}
	pageIDs := map[string]bool{}
	for i, v := range arr(log, "pages", "log", false) {
		p := fmt.Sprintf("log.pages[%d]", i)
		pg := obj(v, p)
		if pg == nil {
			continue
		}
		only(pg, p, "startedDateTime", "id", "title", "pageTimings", "comment")
		date(pg, "startedDateTime", p)
		if id, ok := str(pg, "id", p, true); ok {
			pageIDs[id] = true
		}
		str(pg, "title", p, true)
		if pt := obj(pg["pageTimings"], p+".pageTimings"); pt != nil {
			num(pt, "onContentLoad", p+".pageTimings", false)
			num(pt, "onLoad", p+".pageTimings", false)
		}
	}
	for i, v := range arr(log, "entries", "log", true) {
		p := fmt.Sprintf("log.entries[%d]", i)
		e := obj(v, p)
		if e == nil {
			continue
		}
		only(e, p, "pageref", "startedDateTime", "time", "request", "response", "cache", "timings", "serverIPAddress", "connection", "comment")
		if ref, ok := str(e, "pageref", p, false); ok && !pageIDs[ref] {
			bad(p+".pageref", "%q names no page", ref)
		}
		date(e, "startedDateTime", p)
		total, _ := num(e, "time", p, true)
		if total < 0 {
			bad(p+".time", "negative: %v", total)
		}
		if rq := obj(e["request"], p+".request"); rq != nil {
			rp := p + ".request"
			only(rq, rp, "method", "url", "httpVersion", "cookies", "headers", "queryString", "postData", "headersSize", "bodySize", "comment")
			str(rq, "method", rp, true)
			if u, ok := str(rq, "url", rp, true); ok {
				if pu, err := url.Parse(u); err != nil || !pu.IsAbs() {
					bad(rp+".url", "%q is not an absolute URL", u)
				}
			}
			str(rq, "httpVersion", rp, true)
			cookies(rq, rp)
			nameValues(rq, "headers", rp)
			nameValues(rq, "queryString", rp)
			if pdv, ok := rq["postData"]; ok {
				if pd := obj(pdv, rp+".postData"); pd != nil {
					only(pd, rp+".postData", "mimeType", "params", "text", "comment")
					str(pd, "mimeType", rp+".postData", true)
					if _, hasText := pd["text"]; !hasText {
						arr(pd, "params", rp+".postData", true)
					}
					str(pd, "text", rp+".postData", false)
				}
			}
			num(rq, "headersSize", rp, true)
			num(rq, "bodySize", rp, true)
		}
		if rs := obj(e["response"], p+".response"); rs != nil {
			rp := p + ".response"
			only(rs, rp, "status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize", "comment")
			num(rs, "status", rp, true)
			str(rs, "statusText", rp, true)
			str(rs, "httpVersion", rp, true)
			cookies(rs, rp)
			nameValues(rs, "headers", rp)
			if c := obj(rs["content"], rp+".content"); c != nil {
				only(c, rp+".content", "size", "compression", "mimeType", "text", "encoding", "comment")
				num(c, "size", rp+".content", true)
				str(c, "mimeType", rp+".content", true)
				str(c, "text", rp+".content", false)
			}
			str(rs, "redirectURL", rp, true)
			num(rs, "headersSize", rp, true)
			num(rs, "bodySize", rp, true)
		}
		obj(e["cache"], p+".cache")
		if tm := obj(e["timings"], p+".timings"); tm != nil {
			tp := p + ".timings"
			only(tm, tp, "blocked", "dns", "connect", "send", "wait", "receive", "ssl", "comment")
			sum := 0.0
			for _, k := range []string{"send", "wait", "receive"} { // required, non-negative
				if f, ok := num(tm, k, tp, true); ok {
					if f < 0 {
						bad(tp+"."+k, "negative: %v", f)
					}
					sum += f
				}
			}
			for _, k := range []string{"blocked", "dns", "connect", "ssl"} { // optional, -1 when not applicable
				if f, ok := num(tm, k, tp, false); ok {
					if f < -1 {
						bad(tp+"."+k, "below -1: %v", f)
					}
					if f > 0 && k != "ssl" { // ssl is included in connect
						sum += f
					}
				}
			}
			if math.Abs(sum-total) > 0.01 {
				bad(p+".time", "%v, but the timings add up to %v", total, sum)
			}
		}
	}
	return errs
}

func mustValidHAR(t *testing.T, data []byte) map[string]any {
	t.Helper()
	if errs := validateHAR(data); len(errs) > 0 {
		t.Fatalf("not valid HAR 1.2:\n  %s", strings.Join(errs, "\n  "))
	}
	var root map[string]any
	json.Unmarshal(data, &root)
	return root
}

// TestHARValidatorCatchesMistakes checks that the validator fails what it
// should, so that a passing export means something.
func TestHARValidatorCatchesMistakes(t *testing.T) {
	good := `{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"2026-01-15T10:00:00.000Z","time":3,
	"request":{"method":"GET","url":"http://a/b","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"queryString":[],"headersSize":-1,"bodySize":0},
	"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":[{"name":"A","value":"b"}],"content":{"size":0,"mimeType":""},"redirectURL":"","headersSize":-1,"bodySize":0},
	"cache":{},"timings":{"send":0,"wait":1,"receive":2}}]}}`
	if errs := validateHAR([]byte(good)); len(errs) > 0 {
		t.Fatalf("a valid archive failed: %v", errs)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"version":"1.2"`, `"version":"1.1"`, "want 1.2"},
		{`"time":3`, `"time":"3"`, "want a number"},
		{`"time":3`, `"time":4`, "add up to 3"},
		{`"2026-01-15T10:00:00.000Z"`, `"yesterday"`, "ISO 8601"},
		{`"receive":2`, `"receive":-1,"blocked":3`, "negative"},
		{`"headers":[{"name":"A","value":"b"}]`, `"headers":[{"name":"A"}]`, "value: missing"},
		{`"content":{"size":0,"mimeType":""}`, `"content":{"size":0}`, "mimeType: missing"},
		{`"cache":{},`, `"cache":{},"extra":1,`, "not a HAR 1.2 field"},
		{`"url":"http://a/b"`, `"url":"/b"`, "absolute"},
	} {
		if errs := validateHAR([]byte(strings.Replace(good, c.from, c.to, 1))); !strings.Contains(strings.Join(errs, "\n"), c.want) {
			t.Errorf("%s → %s: errors %v, want one with %q", c.from, c.to, errs, c.want)
		}
	}
}

// collector gathers what a bus publishes.
type collector struct {
	mu   sync.Mutex
	all  []*proxy.Observation
	done chan struct{}
}

// recordThroughProxy starts a go-sdk server of kind and mcpscope in
// front of it, and returns mcpscope's address and what its bus publishes
// (stopped at cleanup).
func recordThroughProxy(t *testing.T, kind mcpserver.Kind) (addr string, seen *collector) {
	t.Helper()
	up := mcptest.StartUpstream(t, kind)
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := proxy.New(u)
	tr := proxy.NewTransport(10 * time.Second)
	p.Transport = tr
	seen = collect(p.Bus)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer()
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
		<-seen.done
	})
	return ln.Addr().String(), seen
}

func collect(bus *proxy.Bus) *collector {
	c := &collector{done: make(chan struct{})}
	sub := bus.Subscribe(1 << 16)
	go func() {
		defer close(c.done)
		for {
			batch, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			c.mu.Lock()
			c.all = append(c.all, batch...)
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) snapshot() []*proxy.Observation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all)
}

// waitFor polls until cond holds for what was collected.
func (c *collector) waitFor(t *testing.T, what string, cond func([]*proxy.Observation) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(c.snapshot()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// allStreamsClosed reports whether every stream opened has closed.
func allStreamsClosed(obs []*proxy.Observation) bool {
	open := 0
	for _, o := range obs {
		switch o.Type {
		case proxy.TypeStreamOpened:
			open++
		case proxy.TypeStreamClosed:
			open--
		}
	}
	return open == 0
}

// TestHARFromSDKExchange records a real go-sdk session through the proxy —
// initialize, a progress tool call streamed over SSE, close — and checks
// its HAR export: valid HAR 1.2, and the SSE entry lists the progress
// events in order with their timings and bytes.
func TestHARFromSDKExchange(t *testing.T) {
	addr, seen := recordThroughProxy(t, mcpserver.Stateful)

	cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addr+"/mcp", mcptest.ClientOptions{})
	const count = 4
	params := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": count, "interval_ms": 20}}
	params.SetProgressToken("har-test")
	if _, err := cs.CallTool(t.Context(), params); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.WaitProgress(count, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	seen.waitFor(t, "every stream to close and the DELETE", func(obs []*proxy.Observation) bool {
		deleted := slices.ContainsFunc(obs, func(o *proxy.Observation) bool { return o.HTTP != nil && o.HTTP.Method == "DELETE" })
		return deleted && allStreamsClosed(obs)
	})

	var buf bytes.Buffer
	if err := (record.Exporter{Version: "test"}).WriteHAR(&buf, seen.snapshot()); err != nil {
		t.Fatal(err)
	}
	root := mustValidHAR(t, buf.Bytes())
	log := root["log"].(map[string]any)
	if c := log["creator"].(map[string]any); c["name"] != "mcpscope" || c["version"] != "test" {
		t.Errorf("creator = %v", c)
	}
	entries := log["entries"].([]any)
	var call, initialize map[string]any
	var last time.Time
	for _, v := range entries {
		e := v.(map[string]any)
		started, _ := time.Parse(time.RFC3339Nano, e["startedDateTime"].(string))
		if started.Before(last) {
			t.Errorf("entries out of order: %v after %v", started, last)
		}
		last = started
		text, _ := jsonPath(e, "request", "postData", "text").(string)
		switch {
		case strings.Contains(text, `"name":"progress"`):
			call = e
		case strings.Contains(text, `"method":"initialize"`):
			initialize = e
		}
		if e["_exchange"] == "" || e["_session"] == "" {
			t.Errorf("entry without _exchange or _session: %v", e)
		}
	}
	if initialize == nil || initialize["_newSession"] == nil {
		t.Errorf("no initialize entry naming the new session: %v", initialize)
	}
	if call == nil {
		t.Fatalf("no entry for the progress call among %d entries", len(entries))
	}
	if mt := jsonPath(call, "response", "content", "mimeType"); mt != "text/event-stream" || jsonPath(call, "response", "status") != 200.0 {
		t.Errorf("progress call answered %v %v, want 200 text/event-stream", jsonPath(call, "response", "status"), mt)
	}
	if w := jsonPath(call, "timings", "wait").(float64); w <= 0 {
		t.Errorf("timings.wait = %v, want the header latency", w)
	}
	events, _ := call["_sseEvents"].([]any)
	text := jsonPath(call, "response", "content", "text").(string)
	var progress []float64
	prevTime, pos := -1.0, 0
	for _, v := range events {
		ev := v.(map[string]any)
		at := ev["time"].(float64)
		if at < prevTime || at < 0 {
			t.Errorf("event times not increasing from the entry start: %v after %v", at, prevTime)
		}
		prevTime = at
		if ev["gap"].(float64) < 0 {
			t.Errorf("negative gap: %v", ev)
		}
		data := ev["data"].(string)
		i := strings.Index(text[pos:], data)
		if i < 0 {
			t.Errorf("content.text lacks event %v's data (in order)", ev["seq"])
		} else {
			pos += i + len(data)
		}
		if ev["method"] != mcptest.MethodProgress {
			continue
		}
		var msg struct {
			Params struct {
				Token    string  `json:"progressToken"`
				Progress float64 `json:"progress"`
			} `json:"params"`
		}
		if err := json.Unmarshal([]byte(data), &msg); err != nil || msg.Params.Token != "har-test" {
			t.Errorf("progress event data %q: %v", data, err)
		}
		progress = append(progress, msg.Params.Progress)
		if id, _ := ev["id"].(string); id == "" {
			t.Errorf("progress event without its SSE id: %v", ev)
		}
	}
	if want := []float64{1, 2, 3, 4}; !slices.Equal(progress, want) {
		t.Errorf("_sseEvents progress = %v, want %v", progress, want)
	}
	if n := len(events); n == 0 || !strings.Contains(events[n-1].(map[string]any)["data"].(string), `"result"`) {
		t.Errorf("the last event is not the call's result")
	}
	if size := jsonPath(call, "response", "content", "size").(float64); int(size) != len(text) {
		t.Errorf("content.size %v, text has %d bytes", size, len(text))
	}
	if call["_streamEnd"] != "upstream ended the stream" {
		t.Errorf("_streamEnd = %v", call["_streamEnd"])
	}
}

func jsonPath(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func readSample(t *testing.T) []*record.Observation {
	t.Helper()
	var obs []*record.Observation
	if err := record.ReadFile("testdata/sample.jsonl", func(o *record.Observation) error {
		obs = append(obs, o)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return obs
}

// TestHARSample checks the HAR of the hand-written recording: what rules,
// breakpoints, batches, failures and redaction become.
func TestHARSample(t *testing.T) {
	obs := readSample(t)
	var buf bytes.Buffer
	if err := record.Export(&buf, obs, "har"); err != nil {
		t.Fatal(err)
	}
	root := mustValidHAR(t, buf.Bytes())
	for _, secret := range []string{"s3cret", "sid=abc"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the HAR holds the credential %q", secret)
		}
	}
	var again bytes.Buffer
	record.Export(&again, obs, "har")
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("two exports of the same observations differ")
	}
	log := root["log"].(map[string]any)
	if !strings.Contains(log["comment"].(string), "1 exchange answered by rules") {
		t.Errorf("log.comment = %q, want the mocked exchange counted", log["comment"])
	}
	if pages := log["pages"].([]any); len(pages) != 2 {
		t.Errorf("%d pages, want one per session (2)", len(pages))
	}
	byExchange := map[string]map[string]any{}
	for _, v := range log["entries"].([]any) {
		e := v.(map[string]any)
		byExchange[e["_exchange"].(string)] = e
	}
	if _, ok := byExchange["ex-7"]; ok {
		t.Errorf("the mocked exchange (no HTTP record) has an entry")
	}
	// A batch: both bodies as arrays.
	if got := jsonPath(byExchange["ex-6"], "request", "postData", "text"); got != `[{"jsonrpc":"2.0","id":4,"method":"ping"},{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"file:///notes.txt"}}]` {
		t.Errorf("batch request body = %v", got)
	}
	if got := jsonPath(byExchange["ex-6"], "response", "content", "text").(string); !strings.HasPrefix(got, `[{"jsonrpc":"2.0","id":4,"result":{}},`) {
		t.Errorf("batch answer = %v", got)
	}
	// A failed exchange.
	failed := byExchange["ex-8"]
	if failed["_error"] == nil || jsonPath(failed, "response", "status") != 502.0 {
		t.Errorf("failed exchange: _error %v, status %v", failed["_error"], jsonPath(failed, "response", "status"))
	}
	// A modified event: the bytes forwarded, the decision with before/after.
	sse := byExchange["ex-5"]
	if text := jsonPath(sse, "response", "content", "text").(string); !strings.Contains(text, `"message":"rewritten"`) || strings.Count(text, "event: message") != 4 {
		t.Errorf("SSE content.text = %q", text)
	}
	if d := sse["_decisions"].([]any); len(d) != 2 || d[1].(map[string]any)["before"] == nil {
		t.Errorf("_decisions = %v, want the continue and the modify with its before", d)
	}
	// A cut: the event the stream was cut at was not forwarded.
	cut := byExchange["ex-10"]
	events := cut["_sseEvents"].([]any)
	if last := events[len(events)-1].(map[string]any); last["dropped"] != true || last["action"] != "cut" {
		t.Errorf("the cut event = %v, want dropped", last)
	}
	if text := jsonPath(cut, "response", "content", "text").(string); strings.Contains(text, "id: c2") {
		t.Errorf("content.text has the event the stream was cut at: %q", text)
	}
	// A breakpoint edit: the forwarded (re-encoded) event.
	get := byExchange["ex-3"]
	if text := jsonPath(get, "response", "content", "text").(string); !strings.Contains(text, `"text":"edited"`) || strings.Contains(text, `"text":"hi"`) {
		t.Errorf("GET stream content.text = %q, want the event as edited at the breakpoint", text)
	}
	if get["_streamEnd"] != "client disconnected" {
		t.Errorf("_streamEnd = %v", get["_streamEnd"])
	}
	// Query parameters are listed.
	if q := jsonPath(byExchange["ex-6"], "request", "queryString").([]any); len(q) != 2 {
		t.Errorf("queryString = %v", q)
	}
}

func TestSessionOf(t *testing.T) {
	obs := readSample(t)
	if got := record.Sessions(obs); !slices.Equal(got, []string{"conn-1", "SESSIONAAAA"}) {
		t.Errorf("Sessions = %v", got)
	}
	one := record.SessionOf(obs, "SESSIONAAAA")
	var seqs []uint64
	for _, o := range one {
		seqs = append(seqs, o.Seq)
		if o.Session == "" {
			t.Errorf("#%d (%s) belongs to no session", o.Seq, o.Type)
		}
	}
	// The initialize exchange (scoped to conn-1, it created the session)
	// comes along, whole; the proxy-wide observations do not.
	for _, want := range []uint64{2, 3, 4, 5, 47} {
		if !slices.Contains(seqs, want) {
			t.Errorf("SessionOf lacks #%d: %v", want, seqs)
		}
	}
	if slices.Contains(seqs, 1) || slices.Contains(seqs, 45) {
		t.Errorf("SessionOf has proxy-wide observations: %v", seqs)
	}
	if got := record.SessionOf(obs, "conn-1"); len(got) != 3 {
		t.Errorf("SessionOf(conn-1) = %d observations, want the initialize exchange (3)", len(got))
	}
	if got := record.SessionOf(obs, "nope"); len(got) != 0 {
		t.Errorf("SessionOf(nope) = %d observations", len(got))
	}
	if got := record.SessionOf(obs, ""); len(got) != len(obs) {
		t.Errorf("SessionOf(\"\") dropped observations")
	}
}

// TestJSONLExportReadsBack writes one session as a recording and reads it
// back: the header first (format version 1, which any mcpscope reads), the
// same observations (redacted), in order.
func TestJSONLExportReadsBack(t *testing.T) {
	obs := readSample(t)
	one := record.SessionOf(obs, "SESSIONAAAA")
	slices.Reverse(one) // any order in, Seq order out
	var buf bytes.Buffer
	if err := record.Export(&buf, one, "jsonl"); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(buf.String(), "\n")
	var h record.Header
	if err := json.Unmarshal([]byte(first), &h); err != nil || h.Format != record.Format || h.Version != 1 || !h.Redacted {
		t.Errorf("header line %s: %+v %v", first, h, err)
	}
	var back []*record.Observation
	if err := record.Read(&buf, func(o *record.Observation) error {
		back = append(back, o)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(one) {
		t.Fatalf("read back %d observations, wrote %d", len(back), len(one))
	}
	for i := 1; i < len(back); i++ {
		if back[i].Seq <= back[i-1].Seq {
			t.Errorf("not in Seq order: #%d after #%d", back[i].Seq, back[i-1].Seq)
		}
	}
	if a := back[1].HTTP.RequestHeaders["Authorization"]; len(a) != 1 || a[0] != record.Redacted {
		t.Errorf("Authorization = %v, want it redacted", a)
	}
	if obs[2].HTTP.RequestHeaders["Authorization"][0] != "Bearer s3cret" {
		t.Errorf("the export changed the observations it was given")
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]string{"har": "har", "HAR": "har", "md": "markdown", "markdown": "markdown", "jsonl": "jsonl", "ndjson": "jsonl"} {
		if got, err := record.ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := record.ParseFormat("pdf"); err == nil || !strings.Contains(err.Error(), "har, jsonl, markdown") {
		t.Errorf("ParseFormat(pdf) = %v, want an error listing the formats", err)
	}
	if err := record.Export(&bytes.Buffer{}, nil, "pdf"); err == nil {
		t.Errorf("Export in an unknown format succeeded")
	}
}
