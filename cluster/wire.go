package cluster

import (
	"encoding/json"
	"strings"

	"github.com/mcpscope/mcpscope/proxy"
)

// wireVersion is the version of message; a message of another version is
// refused.
const wireVersion = 1

// message is what instances publish to each other, as JSON: a request
// (Kind "req", To "" for every instance) or a reply (Kind "rep", To the
// requester). Op is "streams/pause", "streams/resume", "streams/step",
// "sessions/pause", "sessions/resume", "list/streams" or "list/sessions".
type message struct {
	V    int    `json:"v"`
	Kind string `json:"kind"`
	Corr string `json:"corr"`
	From string `json:"from"`
	To   string `json:"to,omitempty"`
	Op   string `json:"op"`
	ID   string `json:"id,omitempty"` // the stream or session acted on
	By   string `json:"by,omitempty"` // who acted, e.g. "api@B"

	// Replies to an act: Result is "ok", "unknown", "not-paused",
	// "still-paused" or "failed" (with Error).
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`

	// Replies to a listing; Cut counts the oldest entries left out to fit
	// the message limit.
	Streams  []proxy.StreamInfo  `json:"streams,omitempty"`
	Sessions []proxy.SessionInfo `json:"sessions,omitempty"`
	Cut      int                 `json:"cut,omitempty"`
}

// Bounds on the fields accepted from a peer, checked after the size limit.
const (
	maxCorr  = 64
	maxField = 256 // ID, Op, Result
	maxBy    = 128
	maxError = 1024
)

// decode parses a message from a peer within the size limit; ok is false
// for anything refused.
func decode(payload string, limit int) (m message, ok bool) {
	if len(payload) > limit || json.Unmarshal([]byte(payload), &m) != nil {
		return m, false
	}
	if m.V != wireVersion || !validID.MatchString(m.From) || (m.To != "" && !validID.MatchString(m.To)) ||
		m.Corr == "" || len(m.Corr) > maxCorr || len(m.ID) > maxField || len(m.Op) > maxField || len(m.Result) > maxField {
		return m, false
	}
	m.By = printable(cut(m.By, maxBy))
	m.Error = printable(cut(m.Error, maxError))
	return m, true
}

// encode marshals m within limit, leaving out the oldest entries of a
// listing (counted in Cut) until it fits.
func encode(m message, limit int) []byte {
	for {
		data, err := json.Marshal(m)
		if err != nil { // cannot happen for these types; say so rather than send nothing
			m = message{V: m.V, Kind: m.Kind, Corr: m.Corr, From: m.From, To: m.To, Op: m.Op, Result: "failed", Error: "encoding the reply: " + err.Error()}
			continue
		}
		switch {
		case len(data) <= limit:
			return data
		case len(m.Streams) > 0:
			drop := (len(m.Streams) + 1) / 2
			m.Cut += drop
			m.Streams = m.Streams[drop:]
		case len(m.Sessions) > 0:
			drop := (len(m.Sessions) + 1) / 2
			m.Cut += drop
			m.Sessions = m.Sessions[drop:]
		default:
			m.Error = cut(m.Error, 64)
			m.ID, m.By = "", ""
			data, _ = json.Marshal(m)
			return data
		}
	}
}

// printable drops control characters (C0, DEL, C1) from text a peer sent,
// which is shown to users.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// cut shortens s to at most n bytes.
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
