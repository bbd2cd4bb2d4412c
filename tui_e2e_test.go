package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// The end-to-end test of the TUI (issue 4, "Must show"): the real binary in
// a real terminal (a detached tmux pane of a fixed size, on a private tmux
// server), a go-sdk upstream and a go-sdk client in this process, and the
// screen read back with capture-pane.

// TestTUIEndToEnd watches a tools/call stream its progress through the TUI,
// pauses everything with A (the client stops receiving, the status bar says
// so), resumes with A (the call completes, every progress notification in
// order), and quits with q (the process exits with status 0).
func TestTUIEndToEnd(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	term := startInTmux(t, bin, "-u", up.URL, "-l", "127.0.0.1:0")
	term.waitScreen("the UI to start", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "mcpscope") && strings.Contains(s, "Traffic")
	})

	const total = 200
	cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+term.addr+"/mcp", mcptest.ClientOptions{})
	params := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": total, "interval_ms": 50}}
	params.SetProgressToken("e2e")
	call := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(t.Context(), params)
		call <- err
	}()
	progress := func() int { return len(rec.Events(mcptest.MethodProgress)) }

	// (a) A live progress stream shows: progress rows, a non-zero rate.
	if _, err := rec.WaitProgress(5, 20*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, term.dump())
	}
	liveRate := regexp.MustCompile(`\b[1-9][0-9]* ev/s`)
	term.waitScreen("live progress rows and a non-zero event rate", 10*time.Second, func(s string) bool {
		return len(progressRows(s)) >= 3 && liveRate.MatchString(s)
	})

	// (b) A pauses everything: the status bar says so, the stream is held,
	// and nothing more reaches the client.
	term.sendKeys("A")
	term.waitScreen("ALL PAUSED and a held POST stream", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "ALL PAUSED") && heldPOST.MatchString(s)
	})
	paused := settle(progress, 200*time.Millisecond, 10*time.Second)
	if paused >= total {
		t.Fatalf("all %d progress notifications arrived before the pause took hold; the test proves nothing\n%s", paused, term.dump())
	}
	term.waitScreen("the rate to fall to 0 ev/s while paused", 10*time.Second, func(s string) bool {
		return strings.Contains(s, " 0 ev/s")
	})
	lastPaused := lastProgressRow(term.capture())
	time.Sleep(time.Second)
	if got := progress(); got != paused {
		t.Fatalf("%d progress notifications reached the client during 1 s of pause (had %d)\n%s", got-paused, paused, term.dump())
	}
	select {
	case err := <-call:
		t.Fatalf("the call returned while paused (err %v)\n%s", err, term.dump())
	default:
	}
	screen := term.capture()
	if last := lastProgressRow(screen); last != lastPaused {
		t.Fatalf("a new progress row showed while paused:\nbefore: %s\nafter:  %s\n%s", lastPaused, last, term.dump())
	}
	if !strings.Contains(screen, "ALL PAUSED") {
		t.Fatalf("the status bar stopped saying ALL PAUSED while paused\n%s", term.dump())
	}
	t.Logf("paused after %d/%d progress notifications; the screen:\n%s", paused, total, screen)

	// (c) A again resumes: progress continues, the call completes, and the
	// result shows.
	term.sendKeys("A")
	term.waitScreen("ALL PAUSED to leave the status bar", 10*time.Second, func(s string) bool {
		return !strings.Contains(s, "ALL PAUSED")
	})
	if _, err := rec.WaitProgress(paused+1, 10*time.Second); err != nil {
		t.Fatalf("no progress after resuming: %v\n%s", err, term.dump())
	}
	select {
	case err := <-call:
		if err != nil {
			t.Fatalf("tools/call: %v\n%s", err, term.dump())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the call did not complete within 60 s of resuming (%d/%d progress)\n%s", progress(), total, term.dump())
	}
	evs, err := rec.WaitProgress(total, 10*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, term.dump())
	}
	for i, e := range evs {
		if p := e.Params.(*mcp.ProgressNotificationParams).Progress; p != float64(i+1) {
			t.Fatalf("progress notification %d carries progress %v: out of order after resume", i, p)
		}
	}
	term.waitScreen("the tools/call result row", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "result tools/call")
	})

	// q quits: the process exits, with status 0.
	cs.Close()
	term.sendKeys("q")
	status := term.waitExit(15 * time.Second)
	if status != 0 {
		t.Fatalf("mcpscope exited with status %d after q\n%s", status, term.dump())
	}
}

// heldPOST matches the sessions pane's line of a POST stream held at its gate.
var heldPOST = regexp.MustCompile(`post\s+(⏸\s*)?held`)

// progressRows returns the screen's lines that show a progress notification.
func progressRows(screen string) []string {
	var rows []string
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, mcptest.MethodProgress) {
			rows = append(rows, l)
		}
	}
	return rows
}

// lastProgressRow returns the newest progress row on the screen.
func lastProgressRow(screen string) string {
	rows := progressRows(screen)
	if len(rows) == 0 {
		return ""
	}
	return rows[len(rows)-1]
}

// settle polls count until it keeps its value for quiet (giving up after
// within) and returns the value: events in flight when a pause took hold
// still arrive.
func settle(count func() int, quiet, within time.Duration) int {
	deadline := time.Now().Add(within)
	n := count()
	for time.Now().Before(deadline) {
		time.Sleep(quiet)
		m := count()
		if m == n {
			return n
		}
		n = m
	}
	return n
}

// requireTmux skips the test when tmux is missing, unless
// MCPSCOPE_REQUIRE_TMUX=1 (CI) makes that a failure.
func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_TMUX") == "1" {
			t.Fatalf("tmux is required (MCPSCOPE_REQUIRE_TMUX=1) but not found: %v", err)
		}
		t.Skip("tmux not installed: the TUI end-to-end test needs a terminal to run the binary in (install tmux, or set MCPSCOPE_REQUIRE_TMUX=1 to make this a failure)")
	}
}

// buildBinary builds mcpscope (without -race, even when the test is: the
// binary is the product, the test only drives it) into a temporary
// directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mcpscope")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tmuxTerm is a program running in a detached pane of a private tmux
// server.
type tmuxTerm struct {
	t          *testing.T
	socket     string // the server's socket (-S), in a temporary directory
	conf       string // its configuration file (-f), which also keeps the user's out
	target     string // the session
	stderr     string // file receiving the program's stderr
	statusFile string // file receiving the program's exit status
	addr       string // the address the proxy listens on
	cols, rows int    // the pane's size
}

// startInTmux runs bin with args in a 120×40 pane on a tmux server of its
// own (killed at cleanup), waits until the proxy says where it listens,
// and returns the terminal. The server's socket (-S) and configuration
// (-f) live in a temporary directory, so the user's tmux server and
// ~/.tmux.conf are never touched, and no socket file is left behind in
// /tmp/tmux-UID (tmux does not remove it at kill-server).
func startInTmux(t *testing.T, bin string, args ...string) *tmuxTerm {
	t.Helper()
	return startInTmuxWithEnv(t, nil, bin, args...)
}

// startInTmuxWithEnv is startInTmux with env (KEY=value pairs) added to
// the program's environment.
func startInTmuxWithEnv(t *testing.T, env []string, bin string, args ...string) *tmuxTerm {
	t.Helper()
	return startInTmuxSized(t, 120, 40, env, bin, args...)
}

// startInTmuxSized is startInTmuxWithEnv in a pane of cols×rows.
func startInTmuxSized(t *testing.T, cols, rows int, env []string, bin string, args ...string) *tmuxTerm {
	t.Helper()
	dir := t.TempDir()
	term := &tmuxTerm{
		cols:       cols,
		rows:       rows,
		t:          t,
		socket:     filepath.Join(dir, "tmux.sock"),
		conf:       filepath.Join(dir, "tmux.conf"),
		target:     "e2e",
		stderr:     filepath.Join(dir, "stderr"),
		statusFile: filepath.Join(dir, "status"),
	}
	conf := "set -g default-shell /bin/sh\nset -g status off\nset -g remain-on-exit on\nset -g history-limit 100\n"
	if err := os.WriteFile(term.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var quoted []string
	if len(env) > 0 {
		quoted = append(quoted, "env")
		for _, kv := range env {
			quoted = append(quoted, shellQuote(kv))
		}
	}
	quoted = append(quoted, shellQuote(bin))
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	command := fmt.Sprintf("%s 2>%s; echo $? >%s", strings.Join(quoted, " "), shellQuote(term.stderr), shellQuote(term.statusFile))
	t.Cleanup(func() { term.tmux("kill-server") })
	if out, err := term.tmux("new-session", "-d", "-s", term.target, "-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows), command); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}

	listening := regexp.MustCompile(`listening on http://(\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(term.stderr)
		if m := listening.FindSubmatch(b); m != nil {
			term.addr = string(m[1])
			return term
		}
		if _, err := os.Stat(term.statusFile); err == nil || time.Now().After(deadline) {
			t.Fatalf("mcpscope never said where it listens\n%s", term.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tmux runs a tmux command on the private server.
func (m *tmuxTerm) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-S", m.socket, "-f", m.conf}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// capture returns the pane's screen as text.
func (m *tmuxTerm) capture() string {
	out, err := m.tmux("capture-pane", "-p", "-t", m.target)
	if err != nil {
		return fmt.Sprintf("(capture-pane failed: %v: %s)", err, out)
	}
	return out
}

// sendKeys types keys (literally) into the pane.
func (m *tmuxTerm) sendKeys(keys string) {
	m.t.Helper()
	if out, err := m.tmux("send-keys", "-t", m.target, "-l", keys); err != nil {
		m.t.Fatalf("tmux send-keys %q: %v\n%s\n%s", keys, err, out, m.dump())
	}
}

// waitScreen polls the screen until ok accepts it, failing the test with
// the screen after timeout.
func (m *tmuxTerm) waitScreen(what string, timeout time.Duration, ok func(screen string) bool) string {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := m.capture()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("waited %v for %s\n%s", timeout, what, m.dump())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitExit waits for the program to exit and returns its status.
func (m *tmuxTerm) waitExit(timeout time.Duration) int {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if b, err := os.ReadFile(m.statusFile); err == nil && strings.HasSuffix(string(b), "\n") {
			status, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				m.t.Fatalf("exit status %q: %v", b, err)
			}
			return status
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("mcpscope did not exit within %v\n%s", timeout, m.dump())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dump is the screen and the program's stderr, for failure messages.
func (m *tmuxTerm) dump() string {
	stderr, _ := os.ReadFile(m.stderr)
	return fmt.Sprintf("── screen (%d×%d) ──\n", m.cols, m.rows) + m.capture() + "\n── stderr ──\n" + string(stderr)
}
