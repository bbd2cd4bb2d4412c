package stdio

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestHubLostMidSession: the hub holds a flood (paused) and then goes
// away: wrap lets the lines it held go on unjudged, in order, relays the
// rest, says so once on stderr, and nothing is lost.
func TestHubLostMidSession(t *testing.T) {
	e := newEngine(t)
	path, stopHub := startHub(t, e)
	e.p.PauseAll("test")
	client, err := hub.Dial(path, "flood", hub.DefaultWindow)
	if err != nil {
		t.Fatal(err)
	}
	const lines = 5000
	count := filepath.Join(t.TempDir(), "count")
	t.Setenv(mcptest.FloodLinesEnv, "5000")
	t.Setenv(mcptest.FloodCountEnv, count)
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("flood"), Judge: client})
	awaitFloodHeld(t, count, lines)
	stopHub()
	for i := 1; i <= lines; i++ {
		if got := x.line(t); got != mcptest.FloodLine(i) {
			t.Fatalf("line %d: %.60q, want the flood's line %d", i, got, i)
		}
	}
	x.stdin.Close()
	if s := x.exit(t); s != 0 {
		t.Errorf("exit status %d", s)
	}
	if n := strings.Count(x.stderr.String(), "lost the hub"); n != 1 {
		t.Errorf("stderr said %d times that the hub was lost, want once:\n%s", n, x.stderr.String())
	}
}

// TestServerExitsWhileHubHoldsItsLines: a server that writes and exits
// while the hub holds its lines (paused): however long the pause, its
// lines reach the client after resume, in order, and wrap then exits with
// its status.
func TestServerExitsWhileHubHoldsItsLines(t *testing.T) {
	e := newEngine(t)
	path, _ := startHub(t, e)
	e.p.PauseAll("test")
	client, err := hub.Dial(path, "flood", 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	// 100 lines of 1.1 KiB with a 64 KiB window: a window's worth (56),
	// the rest in wrap's read buffer and the pipe (64 KiB): the server
	// finishes writing and exits while wrap waits for room in its window.
	const lines = 100
	t.Setenv(mcptest.FloodLinesEnv, "100")
	t.Setenv(mcptest.FloodExitEnv, "1")
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("flood"), Judge: client, Window: 64 << 10})
	time.Sleep(outputGrace + 500*time.Millisecond) // longer than wrap waits for a server's stdout to end
	select {
	case s := <-x.status:
		t.Fatalf("wrap exited (%d) while the hub held the server's lines", s)
	default:
	}
	e.p.ResumeAll("test")
	for i := 1; i <= lines; i++ {
		if got := x.line(t); got != mcptest.FloodLine(i) {
			t.Fatalf("line %d: %.60q, want the flood's line %d", i, got, i)
		}
	}
	if s := x.exit(t); s != 0 {
		t.Errorf("exit status %d", s)
	}
}
