package otlp_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/otlp"
)

// The client's span: the traceparent the client puts in _meta.
const (
	clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpan  = "00f067aa0ba902b7"
	traceparent = "00-" + clientTrace + "-" + clientSpan + "-01"
)

// callWithTrace calls the progress tool with the client's traceparent and
// a progress token in _meta.
func callWithTrace(t *testing.T, ctx context.Context, sess *mcp.ClientSession, count int) {
	t.Helper()
	params := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": count}, Meta: mcp.Meta{"traceparent": traceparent}}
	params.SetProgressToken("tok-1")
	res, err := sess.CallTool(ctx, params)
	if err != nil || res.IsError {
		t.Fatalf("tools/call progress: %v %+v", err, res)
	}
}

// A go-sdk session through the proxy, exported live over OTLP/HTTP
// (protobuf, then JSON): the collector decodes what it gets with the
// official definitions; the tools/call span is the child of the client's
// span, and spans carry the session, method, request id, tool and
// protocol version, with the progress notifications as events.
func TestLiveSpansOfAnSDKSession(t *testing.T) {
	for _, protocol := range []string{otlp.Protobuf, otlp.JSON} {
		t.Run(protocol, func(t *testing.T) {
			col := startCollector(t)
			up := mcptest.StartUpstream(t, mcpserver.Stateful)
			_, endpoint, stop := startProxy(t, up, otlp.Options{Endpoint: col.URL, Protocol: protocol})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			sess, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, endpoint, mcptest.ClientOptions{})
			callWithTrace(t, ctx, sess, 3)
			if _, err := sess.ListTools(ctx, nil); err != nil {
				t.Fatal(err)
			}
			sess.Close()
			report := stop()
			if report.Lost() || report.Sent == 0 || report.Sent != report.Spans {
				t.Fatalf("report: %+v (%s)", report, report)
			}
			spans := col.Spans(t)
			if int64(len(spans)) != report.Sent {
				t.Fatalf("collector has %d spans, the report says %d sent", len(spans), report.Sent)
			}

			calls := named(spans, "tools/call progress")
			if len(calls) != 1 {
				t.Fatalf("want one span \"tools/call progress\", got %d of %d: %v", len(calls), len(spans), names(spans))
			}
			call := calls[0]
			if got := hex.EncodeToString(call.TraceId); got != clientTrace {
				t.Errorf("trace id %s, want the client's %s", got, clientTrace)
			}
			if got := hex.EncodeToString(call.ParentSpanId); got != clientSpan {
				t.Errorf("parent span %s, want the client's %s", got, clientSpan)
			}
			if call.Flags&uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK) == 0 {
				t.Errorf("flags %#x: the parent is not marked remote", call.Flags)
			}
			if call.Kind != tracepb.Span_SPAN_KIND_CLIENT {
				t.Errorf("kind %v", call.Kind)
			}
			session, ok := attr(call.Attributes, "mcp.session.id")
			if !ok || session == "" {
				t.Errorf("no mcp.session.id on %v", call.Attributes)
			}
			for key, want := range map[string]string{
				"mcp.method.name": "tools/call", "gen_ai.tool.name": "progress", "gen_ai.operation.name": "execute_tool",
				"mcp.protocol.version": "2025-11-25", "network.transport": "tcp", "mcpscope.direction": "client_to_server",
			} {
				if got, _ := attr(call.Attributes, key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if addr, _ := attr(call.Attributes, "server.address"); addr != "127.0.0.1" {
				t.Errorf("server.address %q, want the upstream's host", addr)
			}
			if port, _ := attr(call.Attributes, "server.port"); !strings.HasSuffix(up.URL, ":"+port+"/mcp") {
				t.Errorf("server.port %q, upstream %s", port, up.URL)
			}
			if id, ok := attr(call.Attributes, "jsonrpc.request.id"); !ok || id == "" {
				t.Errorf("no jsonrpc.request.id")
			}
			if call.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
				t.Errorf("status %v", call.Status)
			}
			var progress []*tracepb.Span_Event
			for _, e := range call.Events {
				if e.Name == "notifications/progress" {
					progress = append(progress, e)
				}
			}
			if len(progress) != 3 {
				t.Fatalf("want 3 progress events, got %d: %v", len(call.Events), call.Events)
			}
			if got, _ := attr(progress[2].Attributes, "mcpscope.progress"); got != "3" {
				t.Errorf("last progress = %q", got)
			}
			if call.EndTimeUnixNano < progress[2].TimeUnixNano || progress[0].TimeUnixNano < call.StartTimeUnixNano {
				t.Errorf("events outside the span: %d..%d, events %d..%d", call.StartTimeUnixNano, call.EndTimeUnixNano, progress[0].TimeUnixNano, progress[2].TimeUnixNano)
			}

			// The other spans of the session: no client span, so roots of
			// traces of their own, with the same session.
			for _, name := range []string{"initialize", "tools/list", "notifications/initialized"} {
				s := named(spans, name)
				if len(s) == 0 {
					t.Errorf("no span %q in %v", name, names(spans))
					continue
				}
				if len(s[0].ParentSpanId) != 0 || bytes.Equal(s[0].TraceId, call.TraceId) {
					t.Errorf("%s: parent %x, trace %x: want a root of its own", name, s[0].ParentSpanId, s[0].TraceId)
				}
				if got, _ := attr(s[0].Attributes, "mcp.session.id"); got != session {
					t.Errorf("%s: session %q, want %q", name, got, session)
				}
			}
			if v, _ := attr(named(spans, "initialize")[0].Attributes, "mcp.protocol.version"); v != "2025-11-25" {
				t.Errorf("initialize: mcp.protocol.version %q", v)
			}
		})
	}
}

func names(spans []*tracepb.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// A server's request on the stream answering a client's request (sampling
// during a tools/call) is the child of that request's span.
func TestServerRequestIsChildOfTheCall(t *testing.T) {
	col := startCollector(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	_, endpoint, stop := startProxy(t, up, otlp.Options{Endpoint: col.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, endpoint, mcptest.ClientOptions{})
	res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "hi"}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call sample: %v %+v", err, res)
	}
	sess.Close()
	if r := stop(); r.Lost() {
		t.Fatalf("report %s", r)
	}
	spans := col.Spans(t)
	call, sampling := named(spans, "tools/call sample"), named(spans, "sampling/createMessage")
	if len(call) != 1 || len(sampling) != 1 {
		t.Fatalf("spans %v", names(spans))
	}
	if !bytes.Equal(sampling[0].ParentSpanId, call[0].SpanId) || !bytes.Equal(sampling[0].TraceId, call[0].TraceId) {
		t.Errorf("sampling/createMessage: parent %x trace %x, want the call's span %x in %x", sampling[0].ParentSpanId, sampling[0].TraceId, call[0].SpanId, call[0].TraceId)
	}
	if dir, _ := attr(sampling[0].Attributes, "mcpscope.direction"); dir != "server_to_client" {
		t.Errorf("direction %q", dir)
	}
	if sampling[0].Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR || sampling[0].EndTimeUnixNano <= sampling[0].StartTimeUnixNano {
		t.Errorf("the sampling request was not answered: %v", sampling[0].Status)
	}
}
