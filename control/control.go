// Package control serves mcpscope's control API: JSON over HTTP, on
// loopback, for scripts and CI. It lists sessions and streams, pauses,
// resumes and steps them, and streams the observation bus as SSE.
//
// Every request needs "Authorization: Bearer TOKEN"; requests with a foreign
// Host or Origin are refused like the proxy's. Errors are JSON objects
// {"error": "..."} with a fitting status.
package control

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/cluster"
	"github.com/mcpscope/mcpscope/internal/hostguard"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// Server is the control API for one proxy. Set its fields before serving.
type Server struct {
	Proxy          *proxy.Proxy
	Token          string   // required bearer token; see NewToken
	AllowedHosts   []string // as proxy.Proxy.AllowedHosts
	AllowedOrigins []string // as proxy.Proxy.AllowedOrigins

	// EventBuffer bounds the queue of each /api/events subscriber
	// (proxy.DefaultSubscriberBuffer if 0), which is also bounded in bytes
	// (proxy.DefaultSubscriberBytes); a reader that falls behind gets
	// "dropped" observations, the proxy never waits for it.
	EventBuffer int

	// Keepalive is how often /api/events sends a comment while idle
	// (15 s if 0).
	Keepalive time.Duration

	// Redactor removes credentials from the observations /api/events
	// sends, as from recordings. Nil means record.NewRedactor(nil) (the
	// defaults); &record.Redactor{} redacts nothing at all (URLs included).
	Redactor *record.Redactor

	// Peers, when set (--store redis://), carries stream and session
	// control to the instances that share the store, and lists their
	// entries (see cluster.go).
	Peers *cluster.Peers
}

// NewToken returns a random token (128 bits, hex).
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// actor names the control API as the one who acted, in gate changes.
const actor = "api"

// ServeHTTP checks the caller, then routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := hostguard.Check(r, s.AllowedHosts, s.AllowedOrigins); err != nil {
		writeError(w, http.StatusForbidden, err.Error())
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mcpscope"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer TOKEN; the token is printed at start or set with --control-token)")
		return
	}
	path := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(path) == 1 && path[0] == "api" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, endpoints)
	case len(path) == 2 && path[0] == "api" && path[1] == "held":
		s.serveHeldList(w, r)
	case len(path) == 4 && path[0] == "api" && path[1] == "held":
		s.serveHeld(w, r, path[2], path[3])
	case len(path) == 2 && path[0] == "api" && path[1] == "resend":
		s.serveResend(w, r)
	case len(path) == 2 && path[0] == "api":
		s.serveTop(w, r, path[1])
	case len(path) == 4 && path[0] == "api" && (path[1] == "streams" || path[1] == "sessions"):
		s.serveAct(w, r, path[1], path[2], path[3])
	default:
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path+" (GET /api lists them)")
	}
}

// endpoint describes one route of the API, for GET /api.
type endpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Does   string `json:"does"`
}

// endpoints is what GET /api answers: the API's routes, as the README's
// table lists them.
var endpoints = []endpoint{
	{"GET", "/api/sessions", "sessions seen (with a shared store, ?all=1: every instance's): id, first and last seen, requests, open streams, events, bytes, paused"},
	{"GET", "/api/streams", "open streams (with a shared store, ?all=1: every instance's; st-3@A names instance A's): id, session, kind, state (flowing, paused, held), events, bytes, paused, held bytes"},
	{"POST", "/api/streams/{id}/pause", "pause one stream"},
	{"POST", "/api/streams/{id}/resume", "resume one stream"},
	{"POST", "/api/streams/{id}/step", "let one event of a paused stream through"},
	{"POST", "/api/sessions/{id}/pause", "pause every stream of a session, now and later"},
	{"POST", "/api/sessions/{id}/resume", "resume a session"},
	{"POST", "/api/pause", "pause everything"},
	{"POST", "/api/resume", "resume everything (stream and session pauses too)"},
	{"GET", "/api/held", "messages held at breakpoints"},
	{"POST", "/api/held/{id}/resume", "let a held message go on; a body, if any, is the edited message"},
	{"POST", "/api/held/{id}/drop", "forward nothing in its place"},
	{"POST", "/api/held/{id}/error", "answer with the rule's error"},
	{"GET", "/api/events", "the observations as SSE: event the type, data the headless JSON, id the seq"},
	{"POST", "/api/resend", "re-send a client message to its session's upstream: {session, body, from, path, headers}; answers {id, status, answer, failure}"},
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.Token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.Token)) == 1
}

func (s *Server) serveTop(w http.ResponseWriter, r *http.Request, what string) {
	method := http.MethodGet
	if what == "pause" || what == "resume" {
		method = http.MethodPost
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeError(w, http.StatusMethodNotAllowed, "use "+method+" for /api/"+what)
		return
	}
	if s.Peers != nil && (what == "sessions" || what == "streams") {
		s.serveClusterList(w, r, what)
		return
	}
	switch what {
	case "sessions":
		writeJSON(w, http.StatusOK, s.Proxy.Sessions())
	case "streams":
		writeJSON(w, http.StatusOK, s.Proxy.Streams())
	case "pause":
		s.Proxy.PauseAll(actor)
		writeJSON(w, http.StatusOK, map[string]any{"paused": true})
	case "resume":
		s.Proxy.ResumeAll(actor)
		writeJSON(w, http.StatusOK, map[string]any{"paused": false})
	case "events":
		s.serveEvents(w, r)
	default:
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	}
}

// serveAct runs pause, resume or step on one stream or session.
func (s *Server) serveAct(w http.ResponseWriter, r *http.Request, kind, id, action string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST to "+action)
		return
	}
	acts := map[string]func(string, string) error{
		"streams/pause": s.Proxy.PauseStream, "streams/resume": s.Proxy.ResumeStream, "streams/step": s.Proxy.StepStream,
		"sessions/pause": s.Proxy.PauseSession, "sessions/resume": s.Proxy.ResumeSession,
	}
	act := acts[kind+"/"+action]
	if act == nil {
		writeError(w, http.StatusNotFound, "no action "+strconv.Quote(action)+" on "+kind)
		return
	}
	if s.Peers != nil {
		s.serveClusterAct(w, r, kind, id, action)
		return
	}
	err := act(id, actor)
	switch {
	case errors.Is(err, proxy.ErrUnknownStream), errors.Is(err, proxy.ErrUnknownSession):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, proxy.ErrNotPaused), errors.Is(err, proxy.ErrStillPaused):
		writeError(w, http.StatusConflict, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]string{"ok": action, kind[:len(kind)-1]: id})
	}
}

func (s *Server) serveHeldList(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "use GET for /api/held")
		return
	}
	writeJSON(w, http.StatusOK, s.Proxy.Held())
}

// maxEditedMessage bounds the edited message a resume may carry.
const maxEditedMessage = 16 << 20

// serveHeld resolves a message held at a breakpoint: resume (the body, if
// any, is the edited message), drop, or error.
func (s *Server) serveHeld(w http.ResponseWriter, r *http.Request, id, action string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST to "+action)
		return
	}
	var err error
	switch action {
	case "resume":
		body, rerr := io.ReadAll(io.LimitReader(r.Body, maxEditedMessage+1))
		if rerr != nil || len(body) > maxEditedMessage {
			writeError(w, http.StatusBadRequest, "reading the edited message: too large or cut short")
			return
		}
		err = s.Proxy.ResumeHeld(id, strings.TrimSpace(string(body)), actor)
	case "drop":
		err = s.Proxy.DropHeld(id, actor)
	case "error":
		err = s.Proxy.FailHeld(id, actor)
	default:
		writeError(w, http.StatusNotFound, "no action "+strconv.Quote(action)+" on held messages (resume, drop, error)")
		return
	}
	switch {
	case errors.Is(err, proxy.ErrUnknownHeld):
		writeError(w, http.StatusNotFound, err.Error())
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]string{"ok": action, "held": id})
	}
}

// serveEvents streams the bus as SSE: one event per observation, its data
// the same JSON object --headless prints, its id the observation's seq.
// Each batch is borrowed: written out before the next is read.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	sub := s.Proxy.Bus.Subscribe(s.EventBuffer)
	defer sub.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	keepalive := s.Keepalive
	if keepalive <= 0 {
		keepalive = 15 * time.Second
	}
	redactor := s.Redactor
	if redactor == nil {
		redactor = record.NewRedactor(nil)
	}
	printer := record.NewPrinter(redactor)
	var line []byte
	write := func(batch []*proxy.Observation) error {
		for _, o := range batch {
			line = line[:0]
			if o.Seq != 0 { // "dropped" notices are not on the bus and have none
				line = strconv.AppendUint(append(line, "id: "...), o.Seq, 10)
				line = append(line, '\n')
			}
			line = append(append(append(line, "event: "...), o.Type...), "\ndata: "...)
			var err error
			if line, err = printer.AppendLine(line, o); err != nil { // the line ends in "\n"; JSON has no other
				continue
			}
			if _, err := w.Write(append(line, '\n')); err != nil {
				return err
			}
		}
		return rc.Flush()
	}
	for {
		ctx, cancel := context.WithTimeout(r.Context(), keepalive)
		err := sub.NextBorrowed(ctx, write)
		cancel()
		switch {
		case r.Context().Err() != nil || errors.Is(err, proxy.ErrClosed):
			return
		case errors.Is(err, context.DeadlineExceeded):
			if _, err := w.Write([]byte(": keepalive\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		case err != nil: // writing to the client failed
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}
