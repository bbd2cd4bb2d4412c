package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestRowAndDetailShowOperation: a message of an operation shows its
// operation, round and think time in its traffic row and its detail.
func TestRowAndDetailShowOperation(t *testing.T) {
	o := &proxy.Observation{Type: proxy.TypeMessage, Kind: proxy.KindRequest, Direction: proxy.ClientToServer, Method: "tools/call",
		ID: "2", Operation: "op-7", Round: 2, ThinkTime: 52 * time.Millisecond, Body: `{"jsonrpc":"2.0","id":2,"method":"tools/call"}`}
	r, ok := rowFor(o)
	if !ok {
		t.Fatal("no row for a message")
	}
	if line := formatRow(&r, 120); !strings.Contains(line, "«op-7 r2 +52ms»") {
		t.Errorf("row %q lacks the operation badge", line)
	}
	if d := renderDetail(o); !strings.Contains(d, "op-7, round 2, after 52ms of client think time") {
		t.Errorf("detail lacks the operation:\n%s", d)
	}
	o2 := &proxy.Observation{Type: proxy.TypeMessage, Kind: proxy.KindRequest, Method: "tools/list", ID: "3"}
	r2, _ := rowFor(o2)
	if line := formatRow(&r2, 120); strings.Contains(line, "«") {
		t.Errorf("row without an operation shows a badge: %q", line)
	}
}
