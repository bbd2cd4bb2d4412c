package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// history keeps the observations the UI received that are not rows of
// the traffic list (HTTP exchanges, stream and session transitions), so an
// export has whole exchanges. Rows live in the traffic list only. Past
// maxBytes, the oldest half goes.
type history struct {
	obs      []*proxy.Observation
	bytes    int
	maxBytes int
}

func (h *history) add(batch []*proxy.Observation) {
	for _, o := range batch {
		if listed(o) || o.Type == proxy.TypeDropped {
			continue
		}
		h.obs = append(h.obs, o)
		h.bytes += o.Footprint()
	}
	if h.bytes > h.maxBytes && len(h.obs) > 1 {
		half := len(h.obs) / 2
		for _, o := range h.obs[:half] {
			h.bytes -= o.Footprint()
		}
		h.obs = append([]*proxy.Observation(nil), h.obs[half:]...)
	}
}

// exportSession writes the selected row's session (everything of it the
// UI still holds) as a HAR file in the export directory (exportDir), and
// says where, with the full path; a stdio session, which has no HTTP, as a
// Markdown transcript.
func (m *Model) exportSession() {
	_, session := m.target()
	if session == "" {
		m.say("select a row or session to export its session")
		return
	}
	all := append([]*proxy.Observation(nil), m.history.obs...)
	for i := m.traffic.ring.first; i < m.traffic.ring.end(); i++ {
		r, _ := m.traffic.ring.at(i)
		all = append(all, r.obs)
	}
	obs := record.SessionOf(all, session)
	if len(obs) == 0 {
		m.say("nothing of session " + session + " is left to export")
		return
	}
	ext, write := "har", record.Exporter{Source: "mcpscope UI"}.WriteHAR
	if stdio, _ := record.StdioTraffic(obs); stdio > 0 { // no HTTP for HAR to describe
		ext, write = "md", record.Exporter{Source: "mcpscope UI"}.WriteMarkdown
	}
	dir, err := m.exportDir()
	if err != nil {
		m.say("export failed: " + err.Error())
		return
	}
	name := filepath.Join(dir, fmt.Sprintf("mcpscope-%s-%s.%s", shortName(session), time.Now().Format("20060102-150405"), ext))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		m.say("export failed: " + err.Error())
		return
	}
	err = write(f, obs)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		m.say("export failed: " + err.Error())
		return
	}
	m.say(fmt.Sprintf("exported to %s (%s of session %s)", name, plural.Count(len(obs), "observation"), shortID(session)))
}

// shortName makes a session id safe and short for a file name.
func shortName(s string) string {
	out := make([]rune, 0, 12)
	for _, r := range s {
		if len(out) == 12 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			out = append(out, r)
		}
	}
	return string(out)
}
