package ui

import (
	"errors"
	"sort"
	"strings"

	"github.com/mcpscope/mcpscope/proxy"
)

// errReadOnly is what a recording says to pause, step and breakpoint keys.
var errReadOnly = errors.New("this is a recording: nothing to pause, step or resume")

// RecordingEngine is the Engine of `mcpscope open`: the sessions a
// recording saw, no open streams, and no control.
type RecordingEngine struct{ sessions []proxy.SessionInfo }

// NewRecordingEngine summarises the sessions of recorded observations. An
// exchange that created a session (an initialize, scoped to its client
// connection) counts for that session, as it does live.
func NewRecordingEngine(obs []*proxy.Observation) *RecordingEngine {
	created := map[string]string{} // exchange → the session it created
	for _, o := range obs {
		if o.Type == proxy.TypeHTTP && o.HTTP != nil && o.HTTP.NewSession != "" && o.Exchange != "" {
			created[o.Exchange] = o.HTTP.NewSession
		}
	}
	byID := map[string]*proxy.SessionInfo{}
	for _, o := range obs {
		id := o.Session
		if c, ok := created[o.Exchange]; ok && o.Exchange != "" {
			id = c
		}
		if id == "" {
			continue
		}
		s := byID[id]
		if s == nil {
			s = &proxy.SessionInfo{ID: id, FirstSeen: o.Time}
			byID[id] = s
		}
		s.LastSeen = o.Time
		switch o.Type {
		case proxy.TypeSession:
			if name, ok := strings.CutPrefix(o.Reason, "stdio session started: "); ok { // see proxy.OpenLink
				s.Transport, s.Name = "stdio", name
			}
		case proxy.TypeMessage:
			if o.Exchange == "" && o.Kind == proxy.KindRequest && o.Direction == proxy.ClientToServer {
				s.Requests++ // a stdio session's: it has no HTTP exchanges
			}
		case proxy.TypeHTTP:
			s.Requests++
		case proxy.TypeSSEEvent:
			s.Events++
			s.Bytes += int64(o.Size)
		}
	}
	e := &RecordingEngine{}
	for _, s := range byID {
		e.sessions = append(e.sessions, *s)
	}
	sort.Slice(e.sessions, func(i, j int) bool { return e.sessions[i].FirstSeen.Before(e.sessions[j].FirstSeen) })
	return e
}

func (e *RecordingEngine) Streams() []proxy.StreamInfo { return nil }
func (e *RecordingEngine) Sessions() []proxy.SessionInfo {
	return append([]proxy.SessionInfo(nil), e.sessions...)
}
func (e *RecordingEngine) PauseStream(id, by string) error        { return errReadOnly }
func (e *RecordingEngine) ResumeStream(id, by string) error       { return errReadOnly }
func (e *RecordingEngine) StepStream(id, by string) error         { return errReadOnly }
func (e *RecordingEngine) PauseSession(id, by string) error       { return errReadOnly }
func (e *RecordingEngine) ResumeSession(id, by string) error      { return errReadOnly }
func (e *RecordingEngine) PauseAll(by string)                     {}
func (e *RecordingEngine) ResumeAll(by string)                    {}
func (e *RecordingEngine) Paused() (proxy.Pause, bool)            { return proxy.Pause{}, false }
func (e *RecordingEngine) Held() []proxy.HeldInfo                 { return nil }
func (e *RecordingEngine) ResumeHeld(id, edited, by string) error { return errReadOnly }
func (e *RecordingEngine) DropHeld(id, by string) error           { return errReadOnly }
func (e *RecordingEngine) FailHeld(id, by string) error           { return errReadOnly }
