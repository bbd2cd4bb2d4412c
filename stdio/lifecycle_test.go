package stdio

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestStdinClosedThenTermThenKill: the client closing stdin closes the
// server's; a server that does not exit gets SIGTERM after CloseGrace and
// SIGKILL after TermGrace, and wrap reports 128+9.
func TestStdinClosedThenTermThenKill(t *testing.T) {
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("stubborn"), CloseGrace: 100 * time.Millisecond, TermGrace: 200 * time.Millisecond})
	if got := x.line(t); got != "ready" {
		t.Fatalf("first line %q", got)
	}
	start := time.Now()
	x.stdin.Close()
	if s := x.exit(t); s != 128+int(syscall.SIGKILL) {
		t.Errorf("exit status %d, want %d (killed)", s, 128+int(syscall.SIGKILL))
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("killed after %v, before both grace periods (300 ms)", took)
	}
}

// TestSignalForwarded: a signal sent to wrap goes to the server; wrap's
// status is the server's (128+n when the signal ended it).
func TestSignalForwarded(t *testing.T) {
	signals := make(chan os.Signal, 1)
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("stubborn"), Signals: signals})
	x.line(t)
	signals <- syscall.SIGINT
	if s := x.exit(t); s != 128+int(syscall.SIGINT) {
		t.Errorf("exit status %d, want %d", s, 128+int(syscall.SIGINT))
	}
}

// TestServerChildHoldingStdoutDoesNotHoldWrap: a server that exits while a
// child of its own keeps its stdout open: wrap relays the server's line,
// stops reading after outputGrace (interrupting the read that waits) and
// exits with the server's status, not when the child does.
func TestServerChildHoldingStdoutDoesNotHoldWrap(t *testing.T) {
	x := startWrap(t, &Wrap{Command: []string{"sh", "-c", "sleep 12 & echo ready; exit 3"}})
	start := time.Now()
	if got := x.line(t); got != "ready" {
		t.Fatalf("first line %q", got)
	}
	if s := x.exit(t); s != 3 {
		t.Errorf("exit status %d, want the server's 3", s)
	}
	if took := time.Since(start); took < outputGrace || took > 11*time.Second {
		t.Errorf("wrap exited after %v; want after the output grace (%v), before the child ends (12 s)", took, outputGrace)
	}
}
