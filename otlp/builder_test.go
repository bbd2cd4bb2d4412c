package otlp_test

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/mcpscope/mcpscope/otlp"
	"github.com/mcpscope/mcpscope/proxy"
)

// obsBuilder makes observations as the proxy publishes them: seq and time
// counting up.
type obsBuilder struct {
	seq uint64
	at  time.Time
	obs []*proxy.Observation
}

func (b *obsBuilder) add(o *proxy.Observation) *proxy.Observation {
	b.seq++
	b.at = b.at.Add(time.Millisecond)
	o.Seq, o.Time = b.seq, b.at
	if o.Session == "" && o.Type != proxy.TypeDropped {
		o.Session = "S1"
	}
	b.obs = append(b.obs, o)
	return o
}

func (b *obsBuilder) request(exchange, id, method, body string) uint64 {
	return b.add(&proxy.Observation{Type: proxy.TypeMessage, Exchange: exchange, Direction: proxy.ClientToServer, Kind: proxy.KindRequest,
		Method: method, ID: proxy.RawJSON(id), Body: body}).Seq
}

func (b *obsBuilder) answer(exchange string, req uint64, kind proxy.MessageKind, method, body string) {
	b.add(&proxy.Observation{Type: proxy.TypeMessage, Exchange: exchange, Direction: proxy.ServerToClient, Kind: kind,
		Method: method, RequestSeq: req, Body: body})
}

// exportSpans runs obs through Export and decodes the spans written.
func exportSpans(t *testing.T, obs []*proxy.Observation, redact func(string) string) ([]*tracepb.Span, otlp.Report) {
	t.Helper()
	var out bytes.Buffer
	r, err := otlp.Export(obs, otlp.ExportOptions{Out: &out, Version: "test", Redact: redact})
	if err != nil {
		t.Fatal(err)
	}
	var spans []*tracepb.Span
	lines := bufio.NewScanner(&out)
	lines.Buffer(nil, 64<<20)
	for lines.Scan() {
		var req coltracepb.ExportTraceServiceRequest
		if err := otlp.UnmarshalJSON(lines.Bytes(), &req); err != nil {
			t.Fatal(err)
		}
		spans = append(spans, spansOf(&req)...)
	}
	return spans, r
}

// Each way an operation fails sets its span's status and error.type.
func TestStatusOfFailedOperations(t *testing.T) {
	var b obsBuilder
	b.at = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	call := func(exchange, id, tool string) uint64 {
		return b.request(exchange, id, "tools/call", `{"jsonrpc":"2.0","id":`+id+`,"method":"tools/call","params":{"name":"`+tool+`"}}`)
	}
	ok := call("ex-0", "10", "fine")
	b.answer("ex-0", ok, proxy.KindResult, "tools/call", `{"jsonrpc":"2.0","id":10,"result":{"content":[]}}`)
	rpcErr := call("ex-1", "1", "rpcerror")
	b.answer("ex-1", rpcErr, proxy.KindError, "tools/call", `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad token=s3cret"}}`)
	toolErr := call("ex-2", "2", "toolerror")
	b.answer("ex-2", toolErr, proxy.KindResult, "tools/call", `{"jsonrpc":"2.0","id":2,"result":{"content":[],"isError":true}}`)
	call("ex-3", "3", "unreachable")
	b.add(&proxy.Observation{Type: proxy.TypeHTTP, Exchange: "ex-3", HTTP: &proxy.HTTPExchange{Method: "POST", Error: "reaching upstream: connection refused"}})
	call("ex-4", "4", "cut")
	b.add(&proxy.Observation{Type: proxy.TypeStreamClosed, Exchange: "ex-4", Stream: "st-1", Reason: "upstream ended the stream"})
	call("ex-5", "5", "cancelled")
	b.add(&proxy.Observation{Type: proxy.TypeMessage, Exchange: "ex-6", Direction: proxy.ClientToServer, Kind: proxy.KindNotification,
		Method: "notifications/cancelled", Body: `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5,"reason":"user"}}`})
	call("ex-7", "7", "unanswered")
	unsampled := b.request("ex-8", "8", "tools/call", `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"unsampled","_meta":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}}}`)
	b.answer("ex-8", unsampled, proxy.KindResult, "tools/call", `{"jsonrpc":"2.0","id":8,"result":{"content":[]}}`)
	b.add(&proxy.Observation{Type: proxy.TypeDropped, Dropped: 3})

	redact := func(s string) string { return strings.ReplaceAll(s, "s3cret", "[REDACTED]") }
	spans, r := exportSpans(t, b.obs, redact)
	if r.Missed != 3 {
		t.Errorf("missed %d, want the 3 the bus dropped", r.Missed)
	}
	if len(named(spans, "tools/call unsampled")) != 0 || r.Spans != int64(len(spans)) {
		t.Errorf("a span the client's traceparent says not to sample was exported or counted: %d spans, report %d", len(spans), r.Spans)
	}
	for _, tc := range []struct{ span, errType, message string }{
		{"tools/call fine", "", ""},
		{"tools/call rpcerror", "-32602", "bad token=[REDACTED]"},
		{"tools/call toolerror", "tool_error", "tool_error"},
		{"tools/call unreachable", "http_error", "reaching upstream: connection refused"},
		{"tools/call cut", "stream_closed", "stream closed before the answer: upstream ended the stream"},
		{"tools/call cancelled", "cancelled", "cancelled: user"},
		{"tools/call unanswered", "unanswered", "no answer seen before mcpscope stopped"},
	} {
		s := named(spans, tc.span)
		if len(s) != 1 {
			t.Errorf("%s: %d spans", tc.span, len(s))
			continue
		}
		got, _ := attr(s[0].Attributes, "error.type")
		wantCode := tracepb.Status_STATUS_CODE_ERROR
		if tc.errType == "" {
			wantCode = tracepb.Status_STATUS_CODE_UNSET
		}
		if got != tc.errType || s[0].Status.GetCode() != wantCode || s[0].Status.GetMessage() != tc.message {
			t.Errorf("%s: error.type %q status %v %q, want %q %v %q", tc.span, got, s[0].Status.GetCode(), s[0].Status.GetMessage(), tc.errType, wantCode, tc.message)
		}
		if s[0].EndTimeUnixNano < s[0].StartTimeUnixNano {
			t.Errorf("%s ends before it starts", tc.span)
		}
	}
	if code, _ := attr(named(spans, "tools/call rpcerror")[0].Attributes, "rpc.response.status_code"); code != "-32602" {
		t.Errorf("rpc.response.status_code %q", code)
	}
	if cancelled := named(spans, "tools/call cancelled")[0]; len(cancelled.Events) != 1 || cancelled.Events[0].Name != "notifications/cancelled" {
		t.Errorf("the cancellation is not an event of the cancelled call: %v", cancelled.Events)
	}
	if strings.Contains(spansText(spans), "s3cret") {
		t.Errorf("a span holds the credential")
	}
}

// Past MaxPending requests waiting for answers, the oldest is ended (as
// unanswered) to make room: kept, not lost, and memory stays bounded.
func TestPendingRequestsAreBounded(t *testing.T) {
	var b obsBuilder
	b.at = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range otlp.MaxPending + 1 {
		id := strconv.Itoa(i)
		b.request("ex-"+id, id, "ping", `{"jsonrpc":"2.0","id":`+id+`,"method":"ping"}`)
	}
	spans, r := exportSpans(t, b.obs, nil)
	if len(spans) != otlp.MaxPending+1 || r.Spans != int64(len(spans)) {
		t.Fatalf("%d spans (report %d), want %d", len(spans), r.Spans, otlp.MaxPending+1)
	}
	first := spans[0]
	if id, _ := attr(first.Attributes, "jsonrpc.request.id"); id != "0" || first.Status.GetMessage() != "mcpscope stopped waiting: too many requests pending" {
		t.Errorf("the first span out: id %s, status %q; want request 0 made room for", id, first.Status.GetMessage())
	}
}

func spansText(spans []*tracepb.Span) string {
	var sb strings.Builder
	for _, s := range spans {
		sb.WriteString(s.String())
	}
	return sb.String()
}
