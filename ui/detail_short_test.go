package ui

import (
	"strings"
	"testing"
)

// TestShortDetailShowsTheMessageFirst: in a detail pane shorter than
// shortDetail (80×24 gives it 7 lines) the message comes right under a
// one-line summary and the facts follow it; a tall pane keeps the facts
// under the title.
func TestShortDetailShowsTheMessageFirst(t *testing.T) {
	rows := traffic()
	r := &row{obs: rows[len(rows)-2]} // the tools/call result: many facts
	var d detailPane
	short := plain(d.view(r, 78, 7))
	if !strings.Contains(short, `"jsonrpc": "2.0"`) || !strings.Contains(short, "more facts below") || strings.Contains(short, "answers the request") {
		t.Errorf("a 7-line detail pane should show the message under a summary:\n%s", short)
	}
	d.scrollBy(100)
	if end := plain(d.view(r, 78, 7)); !strings.Contains(end, "answers the request at seq") {
		t.Errorf("the facts should follow the message:\n%s", end)
	}
	tall := plain(d.view(r, 78, 30))
	if i, j := strings.Index(tall, "answers the request at seq"), strings.Index(tall, `"jsonrpc"`); i < 0 || j < 0 || i > j {
		t.Errorf("a tall pane keeps the facts first:\n%s", tall)
	}
}
