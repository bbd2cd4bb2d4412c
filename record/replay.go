package record

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpscope/mcpscope/internal/hostguard"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/sse"
)

// Replayer serves a recording as an MCP server (Streamable HTTP): each
// request is matched by method and parameters (ignoring JSON-RPC ids and
// _meta) to a recorded one and answered as recorded — JSON, or an SSE
// stream paced as recorded — with the live request's id and progress
// token. Identical recorded requests are answered in recorded order (the
// last one again once they run out). A handshake (initialize,
// server/discover, ping) that matches no recorded one exactly gets the
// recorded answer to the first of its method: the server describes itself
// whatever another client says about itself, so a recording made with one
// client serves another. Notifications and client answers get 202; GET
// streams replay the recorded standalone streams; initialize mints a fresh
// session id. Any other unmatched request gets a JSON-RPC error naming the
// closest recorded one. Answers are kept per session: a live session takes
// them only from the recorded session matched to it at its initialize (see
// replay_sessions.go).
//
// The legacy HTTP+SSE transport is not replayed: its requests are left out
// (Legacy counts them).
type Replayer struct {
	// Speed scales time: 1 replays at the recorded pace, 2 twice as fast,
	// 0 without any delay.
	Speed float64

	AllowedHosts, AllowedOrigins []string // as for the proxy

	idx     *replayIndex
	mu      sync.Mutex
	used    map[string]int // request key → answers given, to requests without a session
	getsOut int            // standalone streams handed out, to requests without a session

	live      map[string]*liveSession // minted session id → the live session
	liveOrder []string                // the ids in live, oldest first

	serving, streaming atomic.Int64 // requests being served, and those of them streaming (Settled)
}

// Settled reports whether the only requests being served are SSE streams
// (a standalone GET stream stays open until its client leaves): a shutdown
// need not wait for those.
func (rp *Replayer) Settled() bool { return rp.serving.Load() <= rp.streaming.Load() }

// NewReplayer indexes the observations of a recording.
func NewReplayer(obs []*proxy.Observation, speed float64) *Replayer {
	return &Replayer{Speed: speed, idx: indexRecording(obs), used: map[string]int{}}
}

// Legacy says how many requests of the recording were made over the legacy
// HTTP+SSE transport, which replay does not serve.
func (rp *Replayer) Legacy() int { return rp.idx.legacy }

// Requests says how many requests the recording can answer.
func (rp *Replayer) Requests() int {
	n := 0
	for _, exs := range rp.idx.byKey {
		n += len(exs)
	}
	return n
}

func (rp *Replayer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rp.serving.Add(1)
	defer rp.serving.Add(-1)
	if err := hostguard.Check(r, rp.AllowedHosts, rp.AllowedOrigins); err != nil {
		replayError(w, http.StatusForbidden, "", err.Error())
		return
	}
	switch {
	case r.Method == http.MethodPost:
		rp.servePost(w, r)
	case proxy.ModernRevision(r.Header.Get("Mcp-Protocol-Version")):
		// 2026-07-28 and later: POST only, as a server of that revision.
		w.Header().Set("Allow", http.MethodPost)
		replayError(w, http.StatusMethodNotAllowed, "", "replay serves POST on "+r.Header.Get("Mcp-Protocol-Version"))
	case r.Method == http.MethodGet:
		rp.serveGet(w, r)
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		replayError(w, http.StatusMethodNotAllowed, "", "replay serves GET, POST and DELETE")
	}
}

func (rp *Replayer) servePost(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		replayError(w, http.StatusBadRequest, "", "reading the request: "+err.Error())
		return
	}
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(body, &msg) != nil {
		replayError(w, http.StatusBadRequest, "", "replay takes one JSON-RPC message per POST")
		return
	}
	if msg.Method == "" || len(msg.ID) == 0 || string(msg.ID) == "null" {
		w.WriteHeader(http.StatusAccepted) // a notification or an answer to the server
		return
	}
	key, token := requestKey(string(body))
	// A request of 2026-07-28 or later has no session: it gets none, and
	// an error answer takes the status its code implies (404 here).
	modern := proxy.ModernRevision(proxy.RequestRevision(r, body))
	sid := r.Header.Get("Mcp-Session-Id")
	if modern {
		sid = ""
	}
	ex, recorded, ls := rp.answerFor(sid, key, msg.Method)
	if ex == nil {
		status := http.StatusOK
		if modern {
			status = http.StatusNotFound
		}
		replayError(w, status, string(msg.ID), "mcpscope replay: no recorded request matches "+key+"; "+rp.closest(key))
		return
	}
	rw := rewriter{recordedID: recorded.id, liveID: string(msg.ID), recordedToken: recorded.token, liveToken: token}
	rp.pause(r.Context(), ex.latency)
	if ex.session && !modern {
		id := newSessionID()
		if ls != nil {
			rp.mu.Lock()
			rp.bind(id, ls)
			rp.mu.Unlock()
		}
		w.Header().Set("Mcp-Session-Id", id)
	}
	switch {
	case ex.mimeType == "text/event-stream":
		rp.stream(w, r, ex, 0, rw)
	case len(ex.answer) > 0:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ex.status)
		io.WriteString(w, rw.message(ex.answer[0].body))
	default:
		w.WriteHeader(ex.status)
	}
}

// answerFor returns the recorded exchange that answers a request of
// method with key in the live session sid ("" for none), the recorded
// request it answers, and — for an initialize — the live session it
// starts. A session's requests take from its recorded session only; a
// handshake that matches none there takes the first of its method (there,
// else anywhere).
func (rp *Replayer) answerFor(sid, key, method string) (*recordedExchange, recordedMessage, *liveSession) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	ls := rp.live[sid]
	if sid == "" && method == "initialize" {
		ls = rp.claim(key)
	}
	if ls != nil {
		ex, m := ls.takeFrom(key)
		if ex == nil && handshakes[method] {
			if first := ls.rec.firstKey(method); first != "" {
				ex, m = ls.takeFrom(first)
			} else if first := rp.idx.firstKey(method); first != "" {
				ex, m = rp.take(first)
			}
		}
		return ex, m, ls
	}
	ex, m := rp.take(key)
	if ex == nil && handshakes[method] {
		if first := rp.idx.firstKey(method); first != "" {
			ex, m = rp.take(first)
		}
	}
	return ex, m, nil
}

// take returns the next recorded exchange answering key, and the recorded
// request it answers, counting over the whole recording. rp.mu is held.
func (rp *Replayer) take(key string) (*recordedExchange, recordedMessage) {
	exs := rp.idx.byKey[key]
	if len(exs) == 0 {
		return nil, recordedMessage{}
	}
	n := rp.used[key]
	rp.used[key] = n + 1
	return answerOf(exs[min(n, len(exs)-1)], key)
}

// answerOf returns ex and its request of key.
func answerOf(ex *recordedExchange, key string) (*recordedExchange, recordedMessage) {
	for _, m := range ex.requests {
		if m.key == key {
			return ex, m
		}
	}
	return ex, recordedMessage{}
}

// serveGet replays a standalone stream: the one holding Last-Event-ID's
// event from just after it, else the next recorded GET stream.
func (rp *Replayer) serveGet(w http.ResponseWriter, r *http.Request) {
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		if pos, ok := rp.idx.byEventID[last]; ok {
			rp.stream(w, r, pos.ex, pos.index+1, rewriter{})
			return
		}
	}
	ex := rp.nextGet(r.Header.Get("Mcp-Session-Id"))
	if ex == nil {
		w.Header().Set("Allow", "POST, DELETE")
		replayError(w, http.StatusMethodNotAllowed, "", "the recording has no (more) standalone GET streams")
		return
	}
	rp.stream(w, r, ex, 0, rewriter{})
}

// stream writes a recorded SSE stream from event from on, paced as
// recorded. A standalone stream then stays open until the client leaves,
// as a live one would.
func (rp *Replayer) stream(w http.ResponseWriter, r *http.Request, ex *recordedExchange, from int, rw rewriter) {
	rp.streaming.Add(1)
	defer rp.streaming.Add(-1)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	last := ex.started.Add(ex.latency)
	for _, e := range ex.events[from:] {
		rp.pause(r.Context(), e.Time.Sub(last))
		last = e.Time
		if r.Context().Err() != nil {
			return
		}
		if _, err := io.WriteString(w, rw.event(e)); err != nil {
			return
		}
		rc.Flush()
	}
	if ex.method == http.MethodGet {
		<-r.Context().Done()
	}
}

// pause waits d scaled by the speed (not at all at speed 0).
func (rp *Replayer) pause(ctx context.Context, d time.Duration) {
	if rp.Speed <= 0 || d <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(float64(d) / rp.Speed))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// closest names the recorded request most like key, for the error.
func (rp *Replayer) closest(key string) string {
	method, _, _ := strings.Cut(key, " ")
	best, bestScore := "", -1
	for k := range rp.idx.byKey {
		m, _, _ := strings.Cut(k, " ")
		score := commonPrefix(k, key)
		if m == method {
			score += 1 << 20
		}
		if score > bestScore || score == bestScore && k < best {
			best, bestScore = k, score
		}
	}
	if best == "" {
		return "the recording holds no requests"
	}
	return "closest recorded: " + best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// rewriter adapts recorded server messages to the live client: the answer
// to the recorded request gets the live request's id, progress
// notifications the live progress token.
type rewriter struct {
	recordedID, liveID       string
	recordedToken, liveToken string
}

// message rewrites one JSON-RPC message.
func (rw rewriter) message(body string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &m) != nil {
		return body
	}
	changed := false
	if id, ok := m["id"]; ok && rw.liveID != "" && string(id) == rw.recordedID && (m["result"] != nil || m["error"] != nil) {
		m["id"], changed = json.RawMessage(rw.liveID), true
	}
	if rw.liveToken != "" && rw.liveToken != rw.recordedToken && string(m["method"]) == `"notifications/progress"` {
		var params map[string]json.RawMessage
		if json.Unmarshal(m["params"], &params) == nil && string(params["progressToken"]) == rw.recordedToken {
			params["progressToken"] = json.RawMessage(rw.liveToken)
			m["params"], _ = json.Marshal(params)
			changed = true
		}
	}
	if !changed {
		return body
	}
	out, _ := json.Marshal(m)
	return string(out)
}

// event returns the bytes of a recorded event: as recorded, or
// re-encoded when its message had to change.
func (rw rewriter) event(e *proxy.Observation) string {
	if e.Body == "" {
		return e.Raw
	}
	body := rw.message(e.Body)
	if body == e.Body && e.Raw != "" { // a stdio message has no SSE bytes: it is sent as an event of its own
		return e.Raw
	}
	ev := sse.Event{ID: e.EventID, HasID: e.HasID, Event: e.EventType, Data: body, Retry: e.Retry, HasRetry: e.Retry > 0}
	return string(sse.AppendEvent(nil, ev))
}

func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// replayError answers with a JSON-RPC error.
func replayError(w http.ResponseWriter, status int, id, message string) {
	if id == "" {
		id = "null"
	}
	msg, _ := json.Marshal(message)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":%s}}`+"\n", id, msg)
}
