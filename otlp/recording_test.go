package otlp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/otlp"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// A recording exported as OTLP JSON gives the spans the live exporter
// sent for the same traffic (one builder): each line is an
// ExportTraceServiceRequest that protojson decodes into the official
// types, with hex ids as OTLP/JSON wants them.
func TestExportOfARecordingGivesTheLiveSpans(t *testing.T) {
	col := startCollector(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	p, endpoint, stop := startProxy(t, up, otlp.Options{Endpoint: col.URL})
	file := filepath.Join(t.TempDir(), "rec.jsonl")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	sub := p.Bus.SubscribeLossless(record.LosslessBuffer)
	recorded := make(chan error, 1)
	go func() {
		recorded <- record.Record(context.Background(), sub, f, record.NewHeader(up.URL, true), record.NewRedactor(nil))
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, endpoint, mcptest.ClientOptions{})
	callWithTrace(t, ctx, sess, 2)
	sess.Close()
	live := stop()
	sub.Close()
	if err := <-recorded; err != nil {
		t.Fatal(err)
	}
	f.Close()

	var obs []*proxy.Observation
	if err := record.ReadFile(file, func(o *record.Observation) error { obs = append(obs, o); return nil }); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r, err := otlp.Export(obs, otlp.ExportOptions{Out: &out, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Spans != live.Spans {
		t.Errorf("the export made %d spans, the live exporter %d", r.Spans, live.Spans)
	}

	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	var exported []*tracepb.Span
	lines := bufio.NewScanner(&out)
	lines.Buffer(nil, 16<<20)
	for lines.Scan() {
		line := lines.Bytes()
		var plain coltracepb.ExportTraceServiceRequest
		if err := protojson.Unmarshal(line, &plain); err != nil {
			t.Fatalf("protojson does not decode a line into ExportTraceServiceRequest: %v\n%s", err, line)
		}
		gjson.GetBytes(line, "resourceSpans.#.scopeSpans.#.spans.#.traceId|@flatten|@flatten").ForEach(func(_, id gjson.Result) bool {
			if !hexID.MatchString(id.String()) {
				t.Errorf("traceId %s: want 32 hex digits (OTLP/JSON)", id)
			}
			return true
		})
		var req coltracepb.ExportTraceServiceRequest
		if err := otlp.UnmarshalJSON(line, &req); err != nil {
			t.Fatal(err)
		}
		if svc := req.ResourceSpans[0].Resource.Attributes; len(svc) == 0 {
			t.Errorf("no resource attributes")
		}
		exported = append(exported, spansOf(&req)...)
	}
	if int64(len(exported)) != r.Spans {
		t.Fatalf("%d spans in the file, %d made", len(exported), r.Spans)
	}
	if got, want := summary(exported), summary(col.Spans(t)); !slices.Equal(got, want) {
		t.Errorf("exported spans\n%v\nlive spans\n%v", got, want)
	}
	call := named(exported, "tools/call progress")
	if len(call) != 1 || hex.EncodeToString(call[0].ParentSpanId) != clientSpan || hex.EncodeToString(call[0].TraceId) != clientTrace {
		t.Fatalf("the call's span is not the child of the client's: %v", call)
	}
	if s, ok := attr(call[0].Attributes, "mcp.session.id"); !ok || s == "" {
		t.Errorf("no session on the exported call")
	}
}

// summary describes spans by what does not depend on when or where they
// were made: name, parent (the client's, or none), status, events,
// method and session attributes.
func summary(spans []*tracepb.Span) []string {
	var out []string
	for _, s := range spans {
		method, _ := attr(s.Attributes, "mcp.method.name")
		session, _ := attr(s.Attributes, "mcp.session.id")
		out = append(out, s.Name+" parent="+hex.EncodeToString(s.ParentSpanId)+" status="+s.Status.GetCode().String()+
			" events="+strconv.Itoa(len(s.Events))+" method="+method+" session="+session)
	}
	sort.Strings(out)
	return out
}
