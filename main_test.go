package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

func TestMain(m *testing.M) {
	mcptest.RunStdioServerIfAsked()
	runMcpscopeIfAsked()
	// Every mcpscope these tests run with the UI or --headless is a hub on
	// the default path unless told otherwise: a runtime directory of the
	// tests' own keeps it from being the developer's real hub (or meeting
	// it), for the tests and the processes they start.
	runtimeDir, err := os.MkdirTemp("", "mcpscope-test-runtime-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_RUNTIME_DIR", runtimeDir)
	isolateFromSettings()
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(runtimeDir)
		os.Exit(code)
	}))
}

// isolateFromSettings keeps the developer's config file and MCPSCOPE_*
// flag variables out of the tests and the processes they start: no config
// file unless a test names one, no flag from the environment unless a
// test sets it.
func isolateFromSettings() {
	os.Setenv(envName(configFlag), "")
	for _, flags := range knownFlags() {
		for name := range flags {
			if name != configFlag {
				os.Unsetenv(envName(name))
			}
		}
	}
}

// mcpscopeArg marks this test binary started again to run mcpscope.
const mcpscopeArg = "-mcptest.mcpscope"

// mcpscopeCommand returns the command line that runs mcpscope with args
// in a process of its own, as a client launches it (mcpscope wrap, replay
// --stdio): this test binary, started again. With mcptest's
// StdioServerCommand it makes "mcpscope wrap -- <a go-sdk stdio server>"
// with no build step.
func mcpscopeCommand(args ...string) []string {
	return append([]string{os.Args[0], mcpscopeArg}, args...)
}

// runMcpscopeIfAsked runs mcpscope as main does and exits, if this process
// was started by mcpscopeCommand.
func runMcpscopeIfAsked() {
	if len(os.Args) < 2 || os.Args[1] != mcpscopeArg {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	status := run(ctx, os.Args[2:], os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

// syncBuffer is an io.Writer safe for the writer and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startCLI runs mcpscope with args until the test ends and returns the
// address it printed, and its stdout.
func startCLI(t *testing.T, args ...string) (addr string, stdout *syncBuffer) {
	t.Helper()
	addrs, stdout := startCLIWaiting(t, args, `listening on http://(\S+)`)
	return addrs[0], stdout
}

// startCLIWaiting runs mcpscope with args until the test ends, waits until
// its stderr has shown each pattern (in order), and returns each pattern's
// first submatch.
func startCLIWaiting(t *testing.T, args []string, patterns ...string) ([]string, *syncBuffer) {
	t.Helper()
	found, stdout, _ := startCLIStoppable(t, args, patterns...)
	return found, stdout
}

// startCLIStoppable is startCLIWaiting that also returns a function
// stopping mcpscope (as Ctrl-C would) and waiting for it to exit; it runs
// at cleanup if the test does not call it.
func startCLIStoppable(t *testing.T, args []string, patterns ...string) ([]string, *syncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout := &syncBuffer{}
	errR, errW := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run(ctx, args, stdout, errW)
		errW.Close()
	}()
	seen := &syncBuffer{} // mcpscope's stderr
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if status := <-done; status != 0 {
				t.Errorf("mcpscope exited with status %d; its stderr:\n%s", status, seen.String())
			}
		})
	}
	t.Cleanup(stop)
	// The scan runs on its own goroutine, so a pattern that never shows
	// fails the test after a while instead of hanging it; the goroutine
	// ends when mcpscope does (at cleanup, at the latest).
	result := make(chan []string, 1)
	go func() {
		var found []string
		lines := bufio.NewScanner(errR)
		for len(found) < len(patterns) && lines.Scan() {
			seen.Write([]byte(lines.Text() + "\n"))
			if m := regexp.MustCompile(patterns[len(found)]).FindStringSubmatch(lines.Text()); m != nil {
				found = append(found, m[1])
			}
		}
		result <- found
		io.Copy(seen, errR) // kept, to say why an exit failed
	}()
	var found []string
	select {
	case found = <-result:
	case <-time.After(30 * time.Second):
		t.Fatalf("mcpscope did not print %q within 30 s; its stderr:\n%s", patterns, seen.String())
	}
	if len(found) < len(patterns) {
		t.Fatalf("mcpscope never printed %q; its stderr:\n%s", patterns[len(found)], seen.String())
	}
	return found, stdout, stop
}

// TestHeadlessOutput runs a real go-sdk exchange through the CLI and checks
// the JSON Lines it prints: each parses, and each message's body is the
// message as a JSON object (body.params.name is the tool's name).
func TestHeadlessOutput(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	addr, stdout := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0")
	cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addr+"/mcp", mcptest.ClientOptions{})
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 5, "interval_ms": 1}}
	p.SetProgressToken("t1")
	if _, err := cs.CallTool(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.WaitProgress(5, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	var progress, calls, results, opened int
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		progress, calls, results, opened = 0, 0, 0, 0
		for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			var o map[string]any
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				t.Fatalf("headless line is not JSON: %q: %v", line, err)
			}
			if o["type"] == nil || o["time"] == nil {
				t.Fatalf("headless line lacks type or time: %q", line)
			}
			if _, isObject := o["body"].(map[string]any); o["body"] != nil && !isObject {
				t.Fatalf("headless line's body is not the message as a JSON object: %q", line)
			}
			switch {
			case o["method"] == mcptest.MethodProgress && o["type"] == "sse_event" && o["stream"] != nil && o["session"] != nil && o["event_id"] != nil:
				progress++
			case o["method"] == "tools/call" && o["kind"] == "request" && o["direction"] == "client_to_server" && o["id"] != nil:
				body, _ := o["body"].(map[string]any) // the message as a JSON value, as jq '.body.params.name' reads it
				params, _ := body["params"].(map[string]any)
				if params["name"] != "progress" {
					t.Fatalf("tools/call line: body.params.name is %v, want \"progress\": %s", params["name"], line)
				}
				calls++
			case o["method"] == "tools/call" && o["kind"] == "result" && o["direction"] == "server_to_client":
				results++
			case o["type"] == "stream_opened":
				opened++
			}
		}
		if progress == 5 && calls == 1 && results == 1 && opened > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("headless output: %d progress events, %d tools/call requests, %d results, %d streams opened; want 5, 1, 1, ≥1\n%s",
		progress, calls, results, opened, stdout.String())
}

// TestMcpscopeCommandRunsMcpscope: the re-executed test binary is
// mcpscope, in a process of its own.
func TestMcpscopeCommandRunsMcpscope(t *testing.T) {
	argv := mcpscopeCommand("version")
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil || !strings.HasPrefix(string(out), "mcpscope ") {
		t.Errorf("mcpscope version in a process of its own: %q, %v", out, err)
	}
}
