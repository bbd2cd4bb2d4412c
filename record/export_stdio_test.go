package record_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/linkrec"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// stdioRecording is a recording of one go-sdk stdio session (initialize,
// then linkrec.Script) relayed through a Link named "node server.js".
func stdioRecording(t *testing.T) []*proxy.Observation {
	return linkrec.Record(t, "node server.js", "2025-11-25", func(ctx context.Context, cs *mcp.ClientSession) { linkrec.Script(t, ctx, cs) })
}

// TestMarkdownStdioSession: a stdio session's transcript says it is one
// and names its command, lists its messages in order with their
// latencies, counts them, and does not mark the usual end as an error.
func TestMarkdownStdioSession(t *testing.T) {
	obs := stdioRecording(t)
	var buf bytes.Buffer
	if err := record.Export(&buf, obs, "markdown"); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	messages := 0
	for _, o := range obs {
		if o.Type == proxy.TypeMessage {
			messages++
		}
	}
	for _, want := range []string{
		"## Session `stdio-1` · stdio `node server.js`",
		fmt.Sprintf("1 session (1 closed; 1 stdio, %d stdio messages), 0 HTTP exchanges", messages),
		"session: `stdio session started: node server.js`",
		"stream `st-1` opened (stdio)",
		"stdio `st-1` closed: `client closed stdin` · 9 lines from the server",
		"→ **request** `tools/call` id `3` tool `echo` · stdio",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "SSE") || strings.Contains(md, "⚠") {
		t.Errorf("the transcript calls stdio messages SSE or marks an error:\n%s", md)
	}
	// every answer names its request and latency; requests in the order sent
	answers := regexp.MustCompile("← \\*\\*result\\*\\* `([^`]+)` id `\\d+` · answers #(\\d+) after [0-9.]+ ms · stdio").FindAllStringSubmatch(md, -1)
	var order []string
	for _, a := range answers {
		order = append(order, a[1])
	}
	if got := strings.Join(order, " "); got != "initialize tools/list tools/call tools/call tools/call" {
		t.Errorf("answers in the transcript: %q, want initialize, tools/list and three tools/call with their latencies, in order", got)
	}
}

// TestJSONLStdioSession: the JSONL export of a stdio session (the whole
// recording, or the session alone) reads back with every observation, in
// order: the session named after its command, the stdio stream, the
// messages with their latencies.
func TestJSONLStdioSession(t *testing.T) {
	obs := stdioRecording(t)
	for _, part := range [][]*proxy.Observation{obs, record.SessionOf(obs, "stdio-1")} {
		var buf bytes.Buffer
		if err := record.Export(&buf, part, "jsonl"); err != nil {
			t.Fatal(err)
		}
		var back []*proxy.Observation
		if err := record.Read(&buf, func(o *record.Observation) error { back = append(back, o); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(back) != len(obs) {
			t.Fatalf("%d observations read back, want %d", len(back), len(obs))
		}
		for i, o := range back {
			if o.Seq != obs[i].Seq || o.Body != obs[i].Body || o.Latency != obs[i].Latency {
				t.Errorf("observation %d read back as %+v, want %+v", i, o, obs[i])
			}
		}
		if back[0].Reason != "stdio session started: node server.js" || back[1].StreamKind != proxy.StreamStdio {
			t.Errorf("the export begins %+v, %+v; want the stdio session named and its stream", back[0], back[1])
		}
	}
}

// TestHARLeavesStdioOut: a HAR archive holds only HTTP exchanges; a
// recording of a stdio session gives none, and log.comment counts what
// was left out.
func TestHARLeavesStdioOut(t *testing.T) {
	obs := stdioRecording(t)
	var buf bytes.Buffer
	if err := record.Export(&buf, obs, "har"); err != nil {
		t.Fatal(err)
	}
	har := mustValidHAR(t, buf.Bytes())
	if entries := jsonPath(har, "log", "entries").([]any); len(entries) != 0 {
		t.Errorf("%d HAR entries for a stdio session, want none", len(entries))
	}
	sessions, messages := record.StdioTraffic(obs)
	comment, _ := jsonPath(har, "log", "comment").(string)
	if sessions != 1 || messages < 10 || !strings.Contains(comment, fmt.Sprintf("1 stdio session (%d messages)", messages)) {
		t.Errorf("StdioTraffic %d sessions, %d messages; log.comment %q", sessions, messages, comment)
	}
}
