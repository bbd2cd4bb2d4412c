package otlp_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/otlp"
)

// With a Propagator (--otlp-propagate), each request reaches the server
// with params._meta.traceparent naming mcpscope's span for it (in the
// client's trace when the client sent one), and nothing else changed;
// notifications are untouched.
func TestPropagateWritesMcpscopesSpanUpstream(t *testing.T) {
	col := startCollector(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	_, endpoint, stop := startProxy(t, up, otlp.Options{Endpoint: col.URL, Propagator: otlp.NewPropagator()})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	rec := &bodyRecorder{next: tr}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, endpoint, mcptest.ClientOptions{HTTPClient: &http.Client{Transport: rec}})
	callWithTrace(t, ctx, sess, 1)
	if _, err := sess.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if r := stop(); r.Lost() || r.Sent == 0 {
		t.Fatalf("report %s", r)
	}
	spans := col.Spans(t)

	bodyOf := func(bodies []string, method string) string {
		for _, b := range bodies {
			if gjson.Get(b, "method").String() == method {
				return b
			}
		}
		t.Fatalf("no %s in %q", method, bodies)
		return ""
	}
	var upBodies []string
	for _, r := range up.Requests() {
		upBodies = append(upBodies, r.Body)
	}
	rec.mu.Lock()
	sent := append([]string(nil), rec.bodies...)
	rec.mu.Unlock()

	// tools/call: the client's trace, mcpscope's span; otherwise the
	// client's bytes.
	call := named(spans, "tools/call progress")[0]
	if hex.EncodeToString(call.ParentSpanId) != clientSpan {
		t.Errorf("mcpscope's span is not the client's child: parent %x", call.ParentSpanId)
	}
	want := "00-" + clientTrace + "-" + hex.EncodeToString(call.SpanId) + "-01"
	got := bodyOf(upBodies, "tools/call")
	if tp := gjson.Get(got, "params._meta.traceparent").String(); tp != want {
		t.Errorf("the server got traceparent %s, want mcpscope's span %s", tp, want)
	}
	if expect, _ := sjson.Set(bodyOf(sent, "tools/call"), "params._meta.traceparent", want); got != expect {
		t.Errorf("the server got\n%s\nwant the client's bytes with only the traceparent changed\n%s", got, expect)
	}

	// tools/list (no traceparent from the client): a trace of mcpscope's.
	list := named(spans, "tools/list")[0]
	want = "00-" + hex.EncodeToString(list.TraceId) + "-" + hex.EncodeToString(list.SpanId) + "-01"
	if tp := gjson.Get(bodyOf(upBodies, "tools/list"), "params._meta.traceparent").String(); tp != want {
		t.Errorf("tools/list: traceparent %s, want %s", tp, want)
	}
	if b := bodyOf(upBodies, "notifications/initialized"); strings.Contains(b, "traceparent") || b != bodyOf(sent, "notifications/initialized") {
		t.Errorf("a notification was changed: %s", b)
	}
}

// Rewrite edits only requests, in place, in a single message or a batch,
// and leaves what is not JSON-RPC alone.
func TestPropagatorRewrite(t *testing.T) {
	p := otlp.NewPropagator()
	for _, tc := range []struct {
		body  string
		paths []string // where a traceparent must be, each
		same  bool
	}{
		{body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, paths: []string{"params._meta.traceparent"}},
		{body: `{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","_meta":{"progressToken":1}}}`, paths: []string{"params._meta.traceparent", "params._meta.progressToken"}},
		{body: `[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"ping"}]`, paths: []string{"1.params._meta.traceparent"}},
		{body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`, same: true},
		{body: `{"jsonrpc":"2.0","id":1,"result":{}}`, same: true},
		{body: `{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}`, same: true},
		{body: `not json`, same: true},
	} {
		out := string(p.Rewrite("ex-1", []byte(tc.body)))
		if tc.same {
			if out != tc.body {
				t.Errorf("%s: changed to %s", tc.body, out)
			}
			continue
		}
		for _, path := range tc.paths {
			if !gjson.Get(out, path).Exists() {
				t.Errorf("%s: no %s in %s", tc.body, path, out)
			}
		}
		if strings.Count(out, "traceparent") != 1 {
			t.Errorf("%s: %s", tc.body, out)
		}
	}
	a := p.Rewrite("ex-1", []byte(`{"id":1,"method":"m"}`))
	b := p.Rewrite("ex-2", []byte(`{"id":1,"method":"m"}`))
	if string(a) == string(b) {
		t.Errorf("two exchanges got the same span: %s", a)
	}
}
