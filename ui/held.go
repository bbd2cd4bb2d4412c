package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcpscope/mcpscope/internal/termtext"
	"github.com/mcpscope/mcpscope/proxy"
)

// heldPane lists the messages held at breakpoints. It shows only while
// something is held; its keys resume, edit (in $EDITOR), drop or fail the
// message under the cursor.
type heldPane struct {
	items  []proxy.HeldInfo
	cursor int
	clock  func() time.Time // time.Now; tests set it
}

func (h *heldPane) refresh(items []proxy.HeldInfo) {
	keep := ""
	if h.cursor < len(h.items) {
		keep = h.items[h.cursor].ID
	}
	h.items = items
	h.cursor = min(h.cursor, max(0, len(items)-1))
	for i, it := range items {
		if it.ID == keep {
			h.cursor = i
		}
	}
}

func (h *heldPane) move(delta int) {
	h.cursor = min(max(h.cursor+delta, 0), max(0, len(h.items)-1))
}

func (h *heldPane) selected() (proxy.HeldInfo, bool) {
	if h.cursor >= len(h.items) {
		return proxy.HeldInfo{}, false
	}
	return h.items[h.cursor], true
}

// view draws the held messages in width×height, the last lines for hint
// (the pane's keys), scrolled to keep the cursor in sight; focused, the
// cursor's line stands out.
func (h *heldPane) view(width, height int, focused bool, hint []string) string {
	now := time.Now
	if h.clock != nil {
		now = h.clock
	}
	hint = hint[:min(len(hint), max(0, height-1))]
	rows := height - len(hint)
	first := max(0, min(h.cursor-rows+1, len(h.items)-rows))
	lines := make([]string, 0, height)
	for i := first; i < len(h.items) && len(lines) < rows; i++ {
		it := h.items[i]
		dir := "→"
		if it.Direction == proxy.ServerToClient {
			dir = "←"
		}
		age := now().Sub(it.Since).Truncate(time.Second)
		line := fixed(termtext.Safe(fmt.Sprintf("%s %s %s %s  %s (%s)", it.ID, dir, it.Method, string(it.MessageID), it.Rule, age)), width)
		if i == h.cursor && focused {
			line = styleSelected.Render(line)
		} else {
			line = stylePaused.Render(line)
		}
		lines = append(lines, line)
	}
	for len(lines) < rows {
		lines = append(lines, "")
	}
	lines = append(lines, hint...)
	return strings.Join(lines, "\n")
}

// heldKey handles the keys of the breakpoints pane.
func (m *Model) heldKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	it, ok := m.held.selected()
	if !ok {
		return nil, false
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.HeldResume):
		m.report("resumed "+it.ID, m.engine.ResumeHeld(it.ID, "", actor))
	case key.Matches(msg, k.HeldDrop):
		m.report("dropped "+it.ID, m.engine.DropHeld(it.ID, actor))
	case key.Matches(msg, k.HeldFail):
		m.report("answered "+it.ID+" with the rule's error", m.engine.FailHeld(it.ID, actor))
	case key.Matches(msg, k.HeldEdit):
		return m.editHeld(it), true
	default:
		return nil, false
	}
	m.refresh()
	return nil, true
}

// editedMsg carries the outcome of editing a held message.
type editedMsg struct {
	id, message string
	err         error
}

// editHeld opens the held message, pretty, in $EDITOR (vi if unset); when
// the editor exits, the message resumes as edited.
func (m *Model) editHeld(it proxy.HeldInfo) tea.Cmd {
	cmd, path, err := editorCommand(it.Message, os.Getenv("EDITOR"))
	if err != nil {
		m.say("editing: " + err.Error())
		return nil
	}
	return tea.ExecProcess(cmd, func(err error) tea.Msg { return readEdited(it.ID, path, err) })
}

// editorCommand writes message, indented, to a temporary file and returns
// the command that opens it in editor (vi if empty; it may carry
// arguments). readEdited removes the file.
func editorCommand(message, editor string) (*exec.Cmd, string, error) {
	f, err := os.CreateTemp("", "mcpscope-held-*.json")
	if err != nil {
		return nil, "", err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(message), "", "  ") != nil {
		pretty.WriteString(message)
	}
	_, err = f.Write(pretty.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, "", err
	}
	if editor == "" {
		editor = defaultEditor()
	}
	args := strings.Fields(editor)
	return exec.Command(args[0], append(args[1:], f.Name())...), f.Name(), nil
}

// readEdited reads the file the editor saved (runErr: how the editor
// ended), compacts it, and removes it.
func readEdited(id, path string, runErr error) editedMsg {
	defer os.Remove(path)
	if runErr != nil {
		return editedMsg{id: id, err: fmt.Errorf("the editor failed: %w", runErr)}
	}
	b, err := os.ReadFile(path)
	var compact bytes.Buffer
	if err == nil {
		err = json.Compact(&compact, b)
	}
	return editedMsg{id: id, message: compact.String(), err: err}
}

func (m *Model) edited(msg editedMsg) {
	if msg.err != nil {
		m.say("not resumed: " + msg.err.Error())
		return
	}
	m.report("resumed "+msg.id+" as edited", m.engine.ResumeHeld(msg.id, msg.message, actor))
	m.refresh()
}

// defaultEditor is the editor used when $EDITOR is empty: notepad on
// Windows, vi elsewhere.
func defaultEditor() string {
	if runtime.GOOS == "windows" {
		return "notepad"
	}
	return "vi"
}
