package record

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// recordedExchange is one HTTP exchange of a recording, as replay needs it.
type recordedExchange struct {
	id       string
	method   string // HTTP method
	path     string
	status   int
	mimeType string // of the answer: application/json, text/event-stream or ""
	session  bool   // the upstream issued a session id here (initialize)
	stdio    bool   // a stdio session's request and what its server sent until the answer (replay_stdio_index.go)
	recorded string // the recorded session it belongs to (proxy session id, or the client connection)
	seq      uint64 // Seq of its first observation: exchanges are indexed in this order
	started  time.Time
	latency  time.Duration        // until the response headers
	requests []recordedMessage    // client→server messages of the body
	answer   []recordedMessage    // server→client messages of a JSON answer
	events   []*proxy.Observation // the SSE events of the stream that answered, in order
}

// recordedMessage is a JSON-RPC message with what matching needs.
type recordedMessage struct {
	method string
	id     string // JSON text
	key    string // method + canonical params without _meta
	token  string // params._meta.progressToken, as JSON text
	body   string
}

// handshakes are the requests whose recorded answer stands for any
// client's: in them the server describes itself, whatever the client said
// about itself (its name, version and capabilities).
var handshakes = map[string]bool{"initialize": true, "server/discover": true, "ping": true}

// firstKey returns the key of the first recorded request of method, or "".
func (idx *replayIndex) firstKey(method string) string {
	for _, ex := range idx.exchanges {
		for _, m := range ex.requests {
			if m.method == method && m.key != "" {
				return m.key
			}
		}
	}
	return ""
}

// replayIndex is a recording indexed for replay.
type replayIndex struct {
	exchanges []*recordedExchange
	byKey     map[string][]*recordedExchange // request key → exchanges, in recorded order
	gets      []*recordedExchange            // standalone GET streams, in order
	byEventID map[string]eventPos            // SSE event id → where it is, for Last-Event-ID
	sessions  []*recordedSession             // sessions that began with an initialize, in recorded order
	legacy    int                            // requests recorded over the legacy HTTP+SSE transport (not served)
}

type eventPos struct {
	ex    *recordedExchange
	index int
}

// indexRecording groups observations into exchanges and indexes the
// requests by method and parameters.
func indexRecording(obs []*proxy.Observation) *replayIndex {
	idx := &replayIndex{byKey: map[string][]*recordedExchange{}, byEventID: map[string]eventPos{}}
	byID := map[string]*recordedExchange{}
	get := func(id string) *recordedExchange {
		ex := byID[id]
		if ex == nil {
			ex = &recordedExchange{id: id}
			byID[id] = ex
			idx.exchanges = append(idx.exchanges, ex)
		}
		return ex
	}
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Seq < obs[j].Seq })
	legacy := legacySessions(obs)
	for _, o := range obs {
		if o.Exchange == "" || o.Has("local") || o.Has("injected") {
			continue
		}
		ex := get(o.Exchange)
		if ex.recorded == "" {
			ex.recorded = o.Session
		}
		if ex.seq == 0 {
			ex.seq = o.Seq
		}
		switch {
		case o.Type == proxy.TypeHTTP && o.HTTP != nil:
			ex.method, ex.status, ex.started, ex.latency = o.HTTP.Method, o.HTTP.Status, o.HTTP.Started, o.HTTP.HeaderLatency
			ex.mimeType = mediaType(o.HTTP.ContentType)
			ex.session = o.HTTP.NewSession != ""
			ex.path = pathOf(o.HTTP.URL)
			if ex.session {
				ex.recorded = o.HTTP.NewSession
			}
		case o.Type == proxy.TypeMessage && o.Direction == proxy.ClientToServer:
			ex.requests = append(ex.requests, newRecordedMessage(o))
		case o.Type == proxy.TypeMessage && o.Direction == proxy.ServerToClient && o.Stream == "":
			ex.answer = append(ex.answer, newRecordedMessage(o))
		case o.Type == proxy.TypeSSEEvent:
			if o.HasID {
				idx.byEventID[o.EventID] = eventPos{ex, len(ex.events)}
			}
			ex.events = append(ex.events, o)
		}
	}
	idx.exchanges = append(idx.exchanges, stdioExchanges(obs)...)
	sort.SliceStable(idx.exchanges, func(i, j int) bool { return idx.exchanges[i].seq < idx.exchanges[j].seq })
	sessions := map[string]*recordedSession{}
	for _, ex := range idx.exchanges { // the sessions first: a stdio session's standalone stream opens before its first request
		if legacy[ex.recorded] || sessions[ex.recorded] != nil {
			continue
		}
		for _, m := range ex.requests {
			if ex.session && m.method == "initialize" || ex.stdio && m.key != "" {
				rs := &recordedSession{id: ex.recorded, initKey: m.key, byKey: map[string][]*recordedExchange{}}
				sessions[ex.recorded] = rs
				idx.sessions = append(idx.sessions, rs)
				break
			}
		}
	}
	for _, ex := range idx.exchanges {
		if legacy[ex.recorded] {
			for _, m := range ex.requests {
				if m.id != "" && m.method != "" {
					idx.legacy++
				}
			}
			continue
		}
		rs := sessions[ex.recorded]
		if rs != nil {
			rs.exchanges = append(rs.exchanges, ex)
		}
		if ex.method == "GET" {
			idx.gets = append(idx.gets, ex)
			if rs != nil {
				rs.gets = append(rs.gets, ex)
			}
		}
		for _, m := range ex.requests {
			if m.id != "" && m.method != "" {
				idx.byKey[m.key] = append(idx.byKey[m.key], ex)
				if rs != nil {
					rs.byKey[m.key] = append(rs.byKey[m.key], ex)
				}
			}
		}
	}
	return idx
}

// legacySessions returns the sessions (and client connections) that used
// the legacy HTTP+SSE transport: those of its streams' observations. Their
// answers came on the stream, not on the POSTs, so replay cannot serve
// them.
func legacySessions(obs []*proxy.Observation) map[string]bool {
	streams := map[string]bool{}
	for _, o := range obs {
		if o.StreamKind == proxy.StreamLegacy {
			streams[o.Stream] = true
		}
	}
	sessions := map[string]bool{}
	for _, o := range obs {
		if o.Stream != "" && streams[o.Stream] && o.Session != "" {
			sessions[o.Session] = true
		}
	}
	return sessions
}

func newRecordedMessage(o *proxy.Observation) recordedMessage {
	m := recordedMessage{method: o.Method, id: string(o.ID), body: o.Body}
	if o.Kind == proxy.KindRequest || o.Kind == proxy.KindNotification {
		m.key, m.token = requestKey(o.Body)
	}
	return m
}

// requestKey is what replay matches requests by: the method and the
// parameters, canonical (keys sorted, spacing gone), without _meta (which
// carries per-run details such as the progress token), and with secret
// arguments redacted (see DefaultSecretNames: a recording holds them
// redacted, the live request in clear). It also returns the progress
// token.
func requestKey(body string) (key, token string) {
	body, _ = keyRedactor.message(body)
	var msg struct {
		Method string                     `json:"method"`
		Params map[string]json.RawMessage `json:"params"`
	}
	if json.Unmarshal([]byte(body), &msg) != nil {
		return "", ""
	}
	if meta, ok := msg.Params["_meta"]; ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(meta, &m) == nil {
			token = string(m["progressToken"])
		}
		delete(msg.Params, "_meta")
	}
	params, _ := json.Marshal(canonical(msg.Params))
	return msg.Method + " " + string(params), token
}

// keyRedactor redacts what requestKey ignores: the default secret
// arguments (it has no paths).
var keyRedactor = NewRedactor(nil)

// canonical re-decodes raw JSON values so that marshalling sorts every
// object's keys.
func canonical(params map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		var x any
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		if d.Decode(&x) == nil {
			out[k] = x
		}
	}
	return out
}

func mediaType(contentType string) string {
	for i := 0; i < len(contentType); i++ {
		if contentType[i] == ';' {
			return contentType[:i]
		}
	}
	return contentType
}
