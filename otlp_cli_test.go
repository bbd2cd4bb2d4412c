package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/internal/otlptest"
	"github.com/mcpscope/mcpscope/otlp"
)

const (
	cliClientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	cliClientSpan  = "00f067aa0ba902b7"
)

// callTraced calls the echo tool n times with the client's traceparent.
func callTraced(t *testing.T, cs *mcp.ClientSession, n int) {
	t.Helper()
	for i := range n {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"},
			Meta: mcp.Meta{"traceparent": "00-" + cliClientTrace + "-" + cliClientSpan + "-01"}})
		if err != nil || res.IsError {
			t.Fatalf("call %d: %v %+v", i, err, res)
		}
	}
}

// mcpscope --otlp: a go-sdk session's spans reach the collector, the
// call's span the child of the client's, and the exit says what was sent.
func TestOTLPFlagSendsSpans(t *testing.T) {
	col := otlptest.Start(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	found, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--otlp", col.URL},
		`sending spans to (\S+)`, `listening on http://(\S+)`)
	if found[0] != col.URL+"/v1/traces" {
		t.Errorf("sending spans to %s, want %s/v1/traces", found[0], col.URL)
	}
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+found[1]+"/mcp", mcptest.ClientOptions{})
	callTraced(t, cs, 1)
	cs.Close()
	stop()

	spans := col.Spans(t)
	calls := otlptest.Named(spans, "tools/call echo")
	if len(calls) != 1 {
		t.Fatalf("want one tools/call echo span, got %d of %d", len(calls), len(spans))
	}
	if hex.EncodeToString(calls[0].ParentSpanId) != cliClientSpan || hex.EncodeToString(calls[0].TraceId) != cliClientTrace {
		t.Errorf("the call's span is not the child of the client's: trace %x parent %x", calls[0].TraceId, calls[0].ParentSpanId)
	}
	if s, _ := otlptest.Attr(calls[0].Attributes, "mcp.session.id"); s == "" {
		t.Errorf("no session on the call's span")
	}
	if m, _ := otlptest.Attr(calls[0].Attributes, "mcp.method.name"); m != "tools/call" {
		t.Errorf("mcp.method.name %q", m)
	}
}

// A collector that is down: the client's calls complete promptly, the
// proxy exits 0, and its stderr says the spans were not delivered.
func TestOTLPFlagWithADeadCollector(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--otlp", otlptest.DeadURL(t)}, &stdout, &stderr)
	}()
	listening := regexp.MustCompile(`listening on http://(\S+)`)
	var addr []string
	for deadline := time.Now().Add(30 * time.Second); addr == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		addr = listening.FindStringSubmatch(stderr.String())
	}
	if addr == nil {
		cancel()
		<-done
		t.Fatalf("mcpscope did not listen: %s", stderr.String())
	}
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addr[1]+"/mcp", mcptest.ClientOptions{})
	start := time.Now()
	callTraced(t, cs, 50)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("50 calls took %v with the collector down", d)
	}
	cs.Close()
	cancel()
	if status := <-done; status != 0 {
		t.Errorf("exit status %d; stderr:\n%s", status, stderr.String())
	}
	if !strings.Contains(stderr.String(), "not accepted by the collector") {
		t.Errorf("stderr does not say the spans were lost:\n%s", stderr.String())
	}
}

// export --format otlp: OTLP JSON lines that protojson decodes into the
// official types, without the recording's credentials; --otlp sends the
// same spans; a collector that is down fails the export (exit 1).
func TestExportOTLP(t *testing.T) {
	status, out, errOut := runCLI("export", exportSample, "--format", "otlp")
	if status != 0 {
		t.Fatalf("export --format otlp: %d %s", status, errOut)
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("the spans hold a credential")
	}
	var written int
	lines := bufio.NewScanner(strings.NewReader(out))
	lines.Buffer(nil, 16<<20)
	for lines.Scan() {
		var req coltracepb.ExportTraceServiceRequest
		if err := protojson.Unmarshal(lines.Bytes(), &req); err != nil {
			t.Fatalf("line does not decode: %v\n%s", err, lines.Text())
		}
		if err := otlp.UnmarshalJSON(lines.Bytes(), &req); err != nil {
			t.Fatal(err)
		}
		for _, s := range otlptest.SpansOf(&req) {
			if len(s.TraceId) != 16 || len(s.SpanId) != 8 || s.StartTimeUnixNano == 0 || s.EndTimeUnixNano < s.StartTimeUnixNano {
				t.Errorf("span %s: trace %x span %x, %d..%d", s.Name, s.TraceId, s.SpanId, s.StartTimeUnixNano, s.EndTimeUnixNano)
			}
			written++
		}
	}
	if written == 0 {
		t.Fatalf("no spans in %q", out)
	}

	file := filepath.Join(t.TempDir(), "spans.jsonl")
	if status, _, errOut := runCLI("export", exportSample, "--format", "otlp", "-o", file); status != 0 {
		t.Fatalf("export -o: %d %s", status, errOut)
	}
	if data, err := os.ReadFile(file); err != nil || strings.Count(string(data), "\n") != strings.Count(out, "\n") {
		t.Errorf("the file differs from stdout: %v", err)
	}

	col := otlptest.Start(t)
	status, out, errOut = runCLI("export", exportSample, "--otlp", col.URL)
	if status != 0 || out != "" || !strings.Contains(errOut, "sent") {
		t.Fatalf("export --otlp: %d stdout %q stderr %s", status, out, errOut)
	}
	if got := len(col.Spans(t)); got != written {
		t.Errorf("the collector got %d spans, the file has %d", got, written)
	}

	status, _, errOut = runCLI("export", exportSample, "--otlp", otlptest.DeadURL(t))
	if status != 1 || !strings.Contains(errOut, "not delivered") {
		t.Errorf("export --otlp to a dead collector: %d %s", status, errOut)
	}
}

// A URL that is no OTLP/HTTP collector is refused with a clear error.
func TestOTLPFlagRefusesABadURL(t *testing.T) {
	status, _, errOut := runCLI("export", exportSample, "--otlp", "ftp://x")
	if status == 0 || !strings.Contains(errOut, "want an OTLP/HTTP collector URL") {
		t.Errorf("export --otlp ftp://x: %d %s", status, errOut)
	}
	status, _, errOut = runCLI("-u", "http://127.0.0.1:1/mcp", "--headless", "-l", "127.0.0.1:0", "--hub", "off", "--otlp", "127.0.0.1:4318")
	if status == 0 || !strings.Contains(errOut, "want an OTLP/HTTP collector URL") {
		t.Errorf("--otlp without a scheme: %d %s", status, errOut)
	}
	status, _, errOut = runCLI("-u", "http://127.0.0.1:1/mcp", "--headless", "-l", "127.0.0.1:0", "--hub", "off", "--otlp-propagate")
	if status == 0 || !strings.Contains(errOut, "--otlp-propagate needs --otlp") {
		t.Errorf("--otlp-propagate alone: %d %s", status, errOut)
	}
	status, _, errOut = runCLI("export", exportSample, "--format", "otlp", "--otlp", "http://127.0.0.1:1", "--otlp-protocol", "grpc")
	if status == 0 || !strings.Contains(errOut, "--otlp-protocol") {
		t.Errorf("--otlp-protocol grpc: %d %s", status, errOut)
	}
}

// The bridge (mcpscope --otlp URL -- CMD): a stdio server's operations are
// spans too, their hop to the server a pipe.
func TestOTLPFlagOnTheBridge(t *testing.T) {
	col := otlptest.Start(t)
	args := append([]string{"--headless", "-l", "127.0.0.1:0", "--otlp", col.URL, "--"}, mcptest.StdioServerCommand("sdk")...)
	found, _, stop := startCLIStoppable(t, args, `listening on http://\S+ → stdio:\S+ .*\(clients use (http://\S+/mcp)\)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, found[0], mcptest.ClientOptions{})
	callTraced(t, cs, 1)
	cs.Close()
	stop()
	spans := col.Spans(t)
	calls := otlptest.Named(spans, "tools/call echo")
	if len(calls) == 0 {
		t.Fatalf("no tools/call echo span among %d", len(spans))
	}
	if hex.EncodeToString(calls[0].ParentSpanId) != cliClientSpan {
		t.Errorf("parent %x, want the client's span", calls[0].ParentSpanId)
	}
	tr, _ := otlptest.Attr(calls[0].Attributes, "network.transport")
	sid, _ := otlptest.Attr(calls[0].Attributes, "mcp.session.id")
	if len(calls) != 1 || tr != "pipe" || sid == "" {
		t.Errorf("%d spans; network.transport %q (want pipe: the hop to the server is stdio), mcp.session.id %q", len(calls), tr, sid)
	}
}

// mcpscope wrap --otlp with no hub: the wrapped stdio session's operations
// reach the collector before wrap exits.
func TestOTLPFlagOnWrapWithoutHub(t *testing.T) {
	col := otlptest.Start(t)
	argv := mcpscopeCommand(append([]string{"wrap", "--hub", "off", "--otlp", col.URL, "--"}, mcptest.StdioServerCommand("sdk")...)...)
	cs, cmd := launch(t, argv)
	echoAndTools(t, cs)
	closeAndReap(t, cs, cmd)
	spans := col.Spans(t)
	for _, name := range []string{"tools/call echo", "tools/list"} {
		s := otlptest.Named(spans, name)
		if len(s) != 1 {
			t.Errorf("%d spans %q among %d", len(s), name, len(spans))
			continue
		}
		if tr, _ := otlptest.Attr(s[0].Attributes, "network.transport"); tr != "pipe" {
			t.Errorf("%s: network.transport %q, want pipe", name, tr)
		}
	}
}
