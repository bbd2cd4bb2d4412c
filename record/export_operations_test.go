package record_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// TestExportShowsOperations: a multi round-trip tools/call (go-sdk client
// and stateless server on 2026-07-28, through mcpscope) shows in the HAR
// as two entries of one _operation, _round 1 and 2, and in the Markdown
// transcript as the operation and round of each message.
func TestExportShowsOperations(t *testing.T) {
	addr, seen := recordThroughProxy(t, mcpserver.Stateless)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateless, "http://"+addr+mcpserver.Stateless.Path(), mcptest.ClientOptions{})
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "why?"}})
	if err != nil || len(res.Content) != 1 || res.Content[0].(*mcp.TextContent).Text != mcptest.SampleReply("why?") {
		t.Fatalf("sample = %+v, %v", res, err)
	}
	answers := func(obs []*proxy.Observation) int {
		n := 0
		for _, o := range obs {
			if o.Method == "tools/call" && o.Kind == proxy.KindResult {
				n++
			}
		}
		return n
	}
	seen.waitFor(t, "both rounds' answers", func(obs []*proxy.Observation) bool { return answers(obs) == 2 })
	obs := seen.snapshot()

	var har bytes.Buffer
	if err := (record.Exporter{Version: "test"}).WriteHAR(&har, obs); err != nil {
		t.Fatal(err)
	}
	root := mustValidHAR(t, har.Bytes())
	var ops []string
	var rounds []float64
	for _, v := range root["log"].(map[string]any)["entries"].([]any) {
		e := v.(map[string]any)
		post, _ := e["request"].(map[string]any)["postData"].(map[string]any)
		if post == nil || !strings.Contains(post["text"].(string), `"tools/call"`) {
			continue
		}
		op, _ := e["_operation"].(string)
		round, _ := e["_round"].(float64)
		ops, rounds = append(ops, op), append(rounds, round)
	}
	if len(ops) != 2 || ops[0] == "" || ops[0] != ops[1] || rounds[0] != 1 || rounds[1] != 2 {
		t.Fatalf("HAR tools/call entries: operations %q rounds %v, want one operation, rounds 1 and 2", ops, rounds)
	}

	var md bytes.Buffer
	if err := (record.Exporter{}).Export(&md, obs, "markdown"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"operation `" + ops[0] + "` round 1", "operation `" + ops[0] + "` round 2"} {
		if got := strings.Count(md.String(), want); got != 2 { // the request and its answer
			t.Errorf("the transcript has %q %d times, want 2:\n%s", want, got, md.String())
		}
	}
}
