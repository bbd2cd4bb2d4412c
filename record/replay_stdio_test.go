package record_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/linkrec"
	"github.com/mcpscope/mcpscope/record"
)

// serveStdio runs rp.ServeStdio on pipes until the test's client closes
// its end; it returns the client's ends and what ServeStdio returned.
func serveStdio(t *testing.T, rp *record.Replayer) (toServer io.WriteCloser, fromServer io.ReadCloser, served <-chan error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := rp.ServeStdio(context.Background(), inR, outW)
		outW.Close()
		inR.Close()
		done <- err
	}()
	return inW, outR, done
}

// TestReplayStdioAnswersAsRecorded records a go-sdk stdio session relayed
// through a Link, serves the recording with ServeStdio, and runs the same
// go-sdk client against it: the same tools, results (the sampling round
// trip included) and progress notifications, over both the 2026-07-28
// handshake (server/discover) and initialize.
func TestReplayStdioAnswersAsRecorded(t *testing.T) {
	for _, version := range []string{"", "2025-11-25"} {
		t.Run("protocol "+version, func(t *testing.T) {
			var live []string
			obs := linkrec.Record(t, "node server.js", version, func(ctx context.Context, cs *mcp.ClientSession) { live = linkrec.Script(t, ctx, cs) })
			in, out, served := serveStdio(t, record.NewReplayer(obs, 1))
			var progress atomic.Int64
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			cs, err := linkrec.Client(&progress).Connect(ctx, &mcp.IOTransport{Reader: out, Writer: in}, &mcp.ClientSessionOptions{ProtocolVersion: version})
			if err != nil {
				t.Fatalf("connecting to the replay: %v", err)
			}
			replayed := linkrec.Script(t, ctx, cs)
			cs.Close()
			if strings.Join(replayed, "|") != strings.Join(live, "|") {
				t.Errorf("replayed %q, live %q", replayed, live)
			}
			if !strings.Contains(live[0], "echo") || live[3] != "sample: sampled: why?" {
				t.Errorf("the live session was not what the test expects: %q", live)
			}
			if n := progress.Load(); n != 3 {
				t.Errorf("the replay sent %d progress notifications, want the 3 recorded", n)
			}
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("ServeStdio ended with %v after the client closed stdin, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("ServeStdio did not end when the client closed stdin")
			}
		})
	}
}

// TestReplayStdioErrors: a request the recording cannot answer gets a
// JSON-RPC error with its id naming the closest recorded request; a line
// that is not JSON gets a parse error; notifications and blank lines get
// nothing; every answer is one line.
func TestReplayStdioErrors(t *testing.T) {
	obs := linkrec.Record(t, "node server.js", "2025-11-25", func(ctx context.Context, cs *mcp.ClientSession) { linkrec.Script(t, ctx, cs) })
	in, out, served := serveStdio(t, record.NewReplayer(obs, 0))
	lines := bufio.NewScanner(out)
	ask := func(line string) string {
		t.Helper()
		if _, err := io.WriteString(in, line+"\n"); err != nil {
			t.Fatal(err)
		}
		if !lines.Scan() {
			t.Fatalf("no answer to %s: %v", line, lines.Err())
		}
		return lines.Text()
	}
	ask(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	io.WriteString(in, "\n"+`{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	got := ask(`{"jsonrpc":"2.0","id":"q-7","method":"tools/call","params":{"name":"echo","arguments":{"text":"never recorded"}}}`)
	for _, want := range []string{`"id":"q-7"`, `"code":-32601`, "no recorded request matches tools/call", `closest recorded: tools/call`} {
		if !strings.Contains(got, want) {
			t.Errorf("unmatched request answered %s; want it to hold %s", got, want)
		}
	}
	got = ask(`this is not JSON`)
	if !strings.Contains(got, `"id":null`) || !strings.Contains(got, `-32700`) {
		t.Errorf("a line that is not JSON was answered %s, want a parse error", got)
	}
	got = ask(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	if !strings.Contains(got, `"id":2`) || !strings.Contains(got, `"echo"`) || !strings.Contains(got, `"result"`) {
		t.Errorf("tools/list answered %s", got)
	}
	in.Close()
	if lines.Scan() {
		t.Errorf("after the last answer the replay wrote %s", lines.Text())
	}
	if err := <-served; err != nil {
		t.Errorf("ServeStdio: %v", err)
	}
}

// TestReplayHTTPServesStdioRecording: the HTTP replay serves a recording
// of a stdio session too (each request's messages as an SSE stream).
func TestReplayHTTPServesStdioRecording(t *testing.T) {
	var live []string
	obs := linkrec.Record(t, "node server.js", "2025-11-25", func(ctx context.Context, cs *mcp.ClientSession) { live = linkrec.Script(t, ctx, cs) })
	srv := httptest.NewServer(record.NewReplayer(obs, 0))
	defer srv.Close()
	defer srv.CloseClientConnections()
	var progress atomic.Int64
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	cs, err := linkrec.Client(&progress).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp", HTTPClient: &http.Client{Transport: tr}}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatalf("connecting to the HTTP replay: %v", err)
	}
	replayed := linkrec.Script(t, ctx, cs)
	cs.Close()
	if strings.Join(replayed, "|") != strings.Join(live, "|") || progress.Load() != 3 {
		t.Errorf("replayed over HTTP %q with %d progress notifications; live %q with 3", replayed, progress.Load(), live)
	}
}

// TestReplayStdioCancelAndEnd: notifications/cancelled stops the answer it
// names (no more progress, no result) while other requests are answered;
// the live progress token replaces the recorded one; when stdin closes,
// the answers in flight are finished, then ServeStdio returns.
func TestReplayStdioCancelAndEnd(t *testing.T) {
	obs := linkrec.Record(t, "node server.js", "2025-11-25", func(ctx context.Context, cs *mcp.ClientSession) { linkrec.Script(t, ctx, cs) })
	in, out, served := serveStdio(t, record.NewReplayer(obs, 0.02)) // 50 times slower: the progress call takes about a second
	lines := bufio.NewScanner(out)
	next := func() string {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("the replay ended early: %v", lines.Err())
		}
		return lines.Text()
	}
	send := func(line string) {
		t.Helper()
		if _, err := io.WriteString(in, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	next()
	progress := `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"_meta":{"progressToken":"live"},"name":"progress","arguments":{"count":3,"interval_ms":10}}}`
	send(fmt.Sprintf(progress, 10))
	if got := next(); !strings.Contains(got, `"progressToken":"live"`) {
		t.Fatalf("first line after the progress call: %s; want progress with the live token", got)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":10}}`)
	send(`{"jsonrpc":"2.0","id":11,"method":"tools/list"}`)
	if got := next(); !strings.Contains(got, `"id":11`) {
		t.Fatalf("after the cancel the replay wrote %s; want the answer to tools/list, and nothing more of the cancelled call", got)
	}
	time.Sleep(1500 * time.Millisecond) // when the cancelled call would have ended
	send(fmt.Sprintf(progress, 12))
	in.Close()
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if len(rest) != 4 || !strings.Contains(rest[3], `"id":12`) || strings.Contains(strings.Join(rest, "\n"), `"id":10`) {
		t.Errorf("after stdin closed the replay wrote %q; want the last call's 3 progress notifications and its answer, nothing of the cancelled one", rest)
	}
	if err := <-served; err != nil {
		t.Errorf("ServeStdio: %v", err)
	}
}

// TestReplayStdioLongLine: a line longer than MaxStdioLine is read to its
// end, dropped and answered with an error; the next line is served.
func TestReplayStdioLongLine(t *testing.T) {
	obs := linkrec.Record(t, "node server.js", "2025-11-25", func(ctx context.Context, cs *mcp.ClientSession) { linkrec.Script(t, ctx, cs) })
	in, out, served := serveStdio(t, record.NewReplayer(obs, 0))
	go func() {
		io.WriteString(in, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"`+strings.Repeat("x", record.MaxStdioLine)+`"}}`+"\n")
		io.WriteString(in, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`+"\n")
		in.Close()
	}()
	lines := bufio.NewScanner(out)
	var got []string
	for lines.Scan() {
		got = append(got, lines.Text())
	}
	if len(got) != 2 || !strings.Contains(got[0], `"id":null`) || !strings.Contains(got[0], "longer than") || !strings.Contains(got[1], `"id":2`) || !strings.Contains(got[1], `"result"`) {
		t.Errorf("the replay answered %.300q; want an error for the long line, then the tools/list answer", got)
	}
	if err := <-served; err != nil {
		t.Errorf("ServeStdio: %v", err)
	}
}
