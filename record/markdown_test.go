package record_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./record -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the output at line %d (go test ./record -run %s -update rewrites it):\ngot:  %q\nwant: %q", path, i+1, t.Name(), g, w)
			}
		}
	}
}

// TestMarkdownGolden renders the hand-written recording (every kind of
// observation, fixed times) and compares it with the golden transcript.
func TestMarkdownGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := (record.Exporter{Source: "sample.jsonl"}).Export(&buf, readSample(t), "markdown"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"## Session `SESSIONAAAA`\n\n- `10:00:00.001` #2 → **request** `initialize`", "## Proxy", // the initialize is its session's
		"⚠ **HTTP** `POST http://127.0.0.1:3001/mcp` → **502** failed",  // errors highlighted
		"⚠ ← **error** `resources/read`",                                // JSON-RPC errors too
		"rule `rewrite step 2` → **modify**",                            // decisions
		"  - before: ",                                                  // what a modify changed
		"⏸ **paused** stream `st-1` by `ui`",                            // gate changes
		"▶ **resumed** stream `st-1` by `control` after 1.200 s paused", //
		"more cut; the recording has the whole message",                 // long bodies cut
		"answered by mcpscope, not the upstream",                        // local answers
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the transcript lacks %q", want)
		}
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("the transcript holds a credential")
	}
	golden(t, "sample.md.golden", buf.Bytes())
}

// TestMarkdownUntrustedText checks that text from the network cannot break
// out of its code span or reach a terminal as an escape sequence.
func TestMarkdownUntrustedText(t *testing.T) {
	at := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	obs := []*proxy.Observation{
		{Seq: 2, Type: proxy.TypeMessage, Time: at, Session: "s`1", Direction: proxy.ClientToServer, Kind: proxy.KindRequest,
			Method: "evil`method\x1b[31m\nline", ID: "1", Body: `{"jsonrpc":"2.0","id":1,"method":"x","params":{"t":"` + strings.Repeat("`", 5) + `\u001b[2J"}}`},
		{Seq: 1, Type: proxy.TypeStreamClosed, Time: at, Session: "s`1", Stream: "st-1", Reason: "reading upstream: ```boom"},
	}
	var buf bytes.Buffer
	if err := record.Export(&buf, obs, "md"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsRune(out, '\x1b') {
		t.Errorf("an escape character reached the output:\n%s", out)
	}
	for _, want := range []string{"## Session `` s`1 ``", "`` evil`method\\x1b[31m⏎line ``", "```` reading upstream: ```boom ````"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "#1 ") > strings.Index(out, "#2 ") {
		t.Errorf("not in Seq order:\n%s", out)
	}
}

func TestMarkdownEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := record.Export(&buf, nil, "markdown"); err != nil || !strings.Contains(buf.String(), "No observations.") {
		t.Errorf("empty export: %v %q", err, buf.String())
	}
}
