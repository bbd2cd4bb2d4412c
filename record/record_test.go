package record

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/mcpscope/mcpscope/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRedactionByDefault(t *testing.T) {
	r := NewRedactor([]string{"params.arguments.password", "result.token"})
	o := &proxy.Observation{Type: proxy.TypeSSEEvent,
		Body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{"user":"ann","password":"hunter2"}}}`,
		Raw:  "id: 1\ndata: " + `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{"user":"ann","password":"hunter2"}}}` + "\n\n",
		HTTP: &proxy.HTTPExchange{URL: "http://me:pw@127.0.0.1:3001/mcp",
			RequestHeaders:  map[string][]string{"Authorization": {"Bearer abc"}, "X-Api-Key": {"k"}, "Accept": {"text/event-stream"}},
			ResponseHeaders: map[string][]string{"Set-Cookie": {"s=1"}}}}
	got := r.Apply(o)
	text, _ := json.Marshal(got)
	for _, secret := range []string{"hunter2", "Bearer abc", `"k"`, "s=1", "me:pw"} {
		if bytes.Contains(text, []byte(secret)) {
			t.Errorf("the redacted observation still holds %s: %s", secret, text)
		}
	}
	if !strings.Contains(got.Body, `"password":"[redacted]"`) || !strings.Contains(got.Raw, `"password":"[redacted]"`) || !strings.Contains(got.Body, `"user":"ann"`) {
		t.Errorf("body %s / raw %q: want the password redacted and the rest kept", got.Body, got.Raw)
	}
	if got.HTTP.RequestHeaders["Accept"][0] != "text/event-stream" {
		t.Errorf("an ordinary header was touched")
	}
	if o.HTTP.RequestHeaders["Authorization"][0] != "Bearer abc" || strings.Contains(o.Body, "[redacted]") {
		t.Errorf("redaction modified the shared observation")
	}
	var none *Redactor
	if none.Apply(o) != o {
		t.Errorf("a nil redactor changed something")
	}
	plain := &proxy.Observation{Type: proxy.TypeMessage, Body: `{"method":"ping"}`}
	if r.Apply(plain) != plain {
		t.Errorf("an observation with nothing to redact was copied")
	}
}

// genObservation draws an arbitrary observation of the kinds the bus
// carries; times are UTC without a monotonic reading, as JSON keeps them.
func genObservation(t *rapid.T) *proxy.Observation {
	text := rapid.StringMatching(`[ -~\x{e9}\x{2603}\n\t"\\]{0,40}`)
	o := &proxy.Observation{
		Seq:       rapid.Uint64Range(1, 1<<40).Draw(t, "seq"),
		Type:      proxy.Type(rapid.SampledFrom([]string{"http", "message", "sse_event", "stream_opened", "stream_closed", "gate", "decision"}).Draw(t, "type")),
		Time:      time.Unix(rapid.Int64Range(0, 4e9).Draw(t, "sec"), rapid.Int64Range(0, 999999999).Draw(t, "ns")).UTC(),
		Session:   text.Draw(t, "session"),
		Stream:    text.Draw(t, "stream"),
		Exchange:  text.Draw(t, "exchange"),
		Direction: proxy.Direction(rapid.SampledFrom([]string{"", "client_to_server", "server_to_client"}).Draw(t, "dir")),
		Kind:      proxy.MessageKind(rapid.SampledFrom([]string{"", "request", "result", "invalid"}).Draw(t, "kind")),
		Method:    text.Draw(t, "method"),
		ID:        proxy.RawJSON(rapid.SampledFrom([]string{"", "1", `"a-1"`, "-3.5e2", "null"}).Draw(t, "id")),
		Body:      text.Draw(t, "body"),
		Raw:       text.Draw(t, "raw"),
		EventID:   text.Draw(t, "eventid"),
		HasID:     rapid.Bool().Draw(t, "hasid"),
		Size:      rapid.IntRange(0, 1<<20).Draw(t, "size"),
		Gap:       time.Duration(rapid.Int64Range(0, 1e12).Draw(t, "gap")),
		Latency:   time.Duration(rapid.Int64Range(0, 1e12).Draw(t, "latency")),
		Flags:     rapid.SliceOfN(rapid.SampledFrom([]string{"oversized", "comment", "invalid_json"}), 0, 2).Draw(t, "flags"),
	}
	switch rapid.IntRange(0, 2).Draw(t, "body in raw") {
	case 1: // an SSE event with one data line: the body shares the raw bytes
		pre := "id: " + text.Draw(t, "pre") + "\ndata: "
		o.Raw = pre + o.Body + "\n\n"
		o.Body = o.Raw[len(pre) : len(pre)+len(o.Body)]
	case 2: // the same text, in memory of its own (a redacted or rewritten event)
		o.Raw = "data: " + o.Body + "\n\n"
		o.Body = strings.Clone(o.Body)
	}
	if rapid.Bool().Draw(t, "http") {
		o.HTTP = &proxy.HTTPExchange{Method: "POST", URL: "http://127.0.0.1:1/" + text.Draw(t, "path"), Status: rapid.IntRange(100, 599).Draw(t, "status"),
			RequestHeaders: map[string][]string{"Accept": {text.Draw(t, "accept")}}, Started: o.Time, HeaderLatency: o.Gap}
	}
	if rapid.Bool().Draw(t, "decision") {
		o.Decision = &proxy.Decision{Rules: []string{text.Draw(t, "rule")}, Action: "modify", Before: text.Draw(t, "before"), After: text.Draw(t, "after")}
	}
	if rapid.Bool().Draw(t, "gatechange") {
		o.Gate = &proxy.GateChange{Action: "held", Scope: "stream", By: "api", Since: o.Time, HeldBytes: 10}
	}
	return o
}

// TestRoundTrip: observations → recording → reader gives the same
// observations.
func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := rapid.SliceOfN(rapid.Custom(genObservation), 0, 20).Draw(t, "observations")
		bus := proxy.NewBus()
		sub := bus.SubscribeLossless(LosslessBuffer)
		for _, o := range want {
			seq := o.Seq
			bus.Publish(o)
			o.Seq = seq // Publish renumbers; keep the drawn numbers
		}
		sub.Close()
		var file bytes.Buffer
		if err := Record(context.Background(), sub, &file, NewHeader("http://u", false), nil); err != nil {
			t.Fatal(err)
		}
		var got []*proxy.Observation
		if err := Read(&file, func(o *Observation) error { got = append(got, o); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("read %d observations, wrote %d", len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(normal(got[i]), normal(want[i])) {
				t.Fatalf("observation %d changed:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
	})
}

// normal makes empty and nil slices compare equal.
func normal(o *proxy.Observation) proxy.Observation {
	c := *o
	if len(c.Flags) == 0 {
		c.Flags = nil
	}
	return c
}

func TestCutRecordingStillOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	bus := proxy.NewBus()
	sub := bus.SubscribeLossless(LosslessBuffer)
	for i := range 5 {
		bus.Publish(&proxy.Observation{Type: proxy.TypeMessage, Method: "m", Body: strings.Repeat("x", i*10)})
	}
	sub.Close()
	var file bytes.Buffer
	if err := Record(context.Background(), sub, &file, NewHeader("", true), nil); err != nil {
		t.Fatal(err)
	}
	whole := file.Bytes()
	cut := whole[:len(whole)-7] // mid-way through the last line, as a killed process leaves it
	os.WriteFile(path, cut, 0o600)
	n := 0
	if err := ReadFile(path, func(*Observation) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("read %d observations from a recording cut in its 5th, want 4", n)
	}
	os.WriteFile(path, append(append([]byte(nil), whole[:30]...), whole...), 0o600)
	if err := ReadFile(path, func(*Observation) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a broken line in the middle: %v, want an error naming the line", err)
	}
}
