package ui

import (
	"os"
	"time"
)

// copyMessage puts the selected row's message (its JSON as sent; for a
// row without one, such as an SSE comment, its raw bytes) on the
// clipboard by OSC 52, as copyCurl does, and writes it to a file, which
// holds it whole when it is too large for OSC 52 or the terminal ignores
// the escape.
func (m *Model) copyMessage() {
	r, ok := m.traffic.selected()
	if !ok {
		m.say("select a row to copy its message")
		return
	}
	text := r.obs.Body
	if text == "" {
		text = r.obs.Raw
	}
	if text == "" {
		m.say("this row has no message to copy")
		return
	}
	f, err := os.CreateTemp(os.TempDir(), "mcpscope-message-*.json")
	if err == nil {
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		m.say("copy message: " + err.Error())
		return
	}
	where := "written to " + f.Name()
	if len(text) <= maxOSC52 {
		m.clipboard, m.clipboardUntil = osc52(text), time.Now().Add(time.Second)
		where = "copied (OSC 52) and " + where
	}
	m.say("message " + where)
}
