package record

import (
	"strings"

	"github.com/mcpscope/mcpscope/proxy"
)

// Stdio sessions in a recording. A stdio session (wrap, the bridge: a
// proxy.Link) has no HTTP exchanges: a session observation names its
// command ("stdio session started: node server.js"), one stream of kind
// stdio carries its messages both ways, and its messages name that stream
// and no exchange.

// stdioStartPrefix begins the reason of a stdio session's first
// observation; the command follows.
const stdioStartPrefix = "stdio session started: "

// stdioSessions is what a recording holds of stdio sessions.
type stdioSessions struct {
	names   map[string]string // session → its command ("" when not recorded)
	streams map[string]bool   // the sessions' streams
}

// findStdio finds the stdio sessions of obs.
func findStdio(obs []*Observation) stdioSessions {
	s := stdioSessions{names: map[string]string{}, streams: map[string]bool{}}
	for _, o := range obs {
		switch {
		case o.Type == proxy.TypeSession && strings.HasPrefix(o.Reason, stdioStartPrefix):
			s.names[o.Session] = strings.TrimPrefix(o.Reason, stdioStartPrefix)
		case o.StreamKind == proxy.StreamStdio:
			s.streams[o.Stream] = true
			if _, ok := s.names[o.Session]; !ok {
				s.names[o.Session] = ""
			}
		}
	}
	return s
}

// isMessage reports whether o is a message of a stdio session.
func (s stdioSessions) isMessage(o *Observation) bool {
	return o.Type == proxy.TypeMessage && o.Exchange == "" && s.streams[o.Stream]
}

// StdioTraffic counts the stdio sessions of obs and their messages: what
// a HAR archive, which describes HTTP exchanges, leaves out.
func StdioTraffic(obs []*Observation) (sessions, messages int) {
	s := findStdio(obs)
	for _, o := range obs {
		if s.isMessage(o) {
			messages++
		}
	}
	return len(s.names), messages
}

// quietStdioEnd reports whether a stdio session's end is the usual kind:
// its client closed stdin, or its server exited with status 0.
func quietStdioEnd(reason string) bool {
	return reason == "" || strings.Contains(reason, "closed stdin") || strings.HasSuffix(reason, "status 0")
}
