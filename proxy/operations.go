package proxy

import (
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// operations links the messages of one logical operation that span several
// JSON-RPC requests, so that they show as one (Observation.Operation):
//
//   - MRTR (2026-07-28): a tools/call, prompts/get or resources/read answered
//     with resultType "input_required" is sent again, with a new id, its
//     params carrying inputResponses and the answer's requestState. The retry
//     is matched by that requestState, else by method + name/uri + canonical
//     arguments (within the session; sessionless requests, whose rounds may
//     come on different connections, share one scope). Each round counts
//     up; ThinkTime is the time since the previous round's answer.
//   - Tasks (2025-11-25 core, 2026-07-28 extension): an answer that creates a
//     task (result.taskId with resultType "task", or result.task.taskId)
//     binds the taskId to the request's operation; tasks/get, tasks/update,
//     tasks/cancel and tasks/result (params.taskId), notifications/tasks/status
//     and any message whose _meta related-task names the task join it. Each
//     tasks/* request is a round of its own (answers share their request's
//     round; the notifications and related messages get no round).
//   - Progress: notifications/progress join the operation of the request
//     whose progressToken they carry (same scope).
//
// Only messages of the methods above are parsed (answers only when their
// text mentions a marker), so other traffic costs a switch. Each index holds
// at most maxOperations entries and forgets entries older than
// operationMaxAge.
type operations struct {
	mu      sync.Mutex
	seq     uint64
	byKey   map[string]*opRound // fingerprint → the newest round of an MRTR-able operation
	byState map[string]*opRound // digest of an input_required answer's requestState → its round
	byTask  map[string]*opRound // digest of a taskId → its operation (round = tasks/* requests so far + 1)
	byToken map[string]*opRound // digest of scope + progressToken → the request's round

	// tasks and tokens say whether byTask and byToken hold anything: until
	// a task is created or a request names a progress token, no other
	// message is scanned or parsed (the hot path: every message and event).
	tasks, tokens atomic.Bool
}

// tracking reports whether the index flag says may hold entries.
func (t *operations) tracking(flag *atomic.Bool) bool { return flag.Load() }

// digest is a fixed-size key for a string the peer chose (a requestState,
// a taskId, a progress token), so an index's bytes are bounded with its
// entries whatever the peer sends.
// The parts are joined in a buffer on the stack, when they fit, and hashed
// with Sum256: a hash.Hash and its Sum cost three allocations, on every
// progress notification once a request named a token.
func digest(parts ...string) string {
	var buf [256]byte
	b := buf[:0]
	for _, p := range parts {
		b = append(append(b, p...), 0)
	}
	sum := sha256.Sum256(b)
	return string(sum[:16])
}

// opRound is where an operation stands.
type opRound struct {
	op       string
	round    int
	at       time.Time // when the entry was last touched (for eviction)
	answered time.Time // when the round's input_required answer came (zero: not yet)
	state    string    // digest of that answer's requestState, its key in byState
	tool     string    // in byToken: the tool of the tools/call that named the token, for its progress
}

const (
	maxOperations   = 4096
	operationMaxAge = 10 * time.Minute
)

// opRef is what an observation and its pending request carry.
type opRef struct {
	op    string
	round int
	key   string // the request's fingerprint (MRTR methods only)
	tool  string // the tool a tools/call calls (toolName), for its answer
}

func mrtrMethod(m string) bool {
	return m == "tools/call" || m == "prompts/get" || m == "resources/read"
}

func taskMethod(m string) bool {
	return m == "tasks/get" || m == "tasks/update" || m == "tasks/cancel" || m == "tasks/result"
}

const relatedTaskKey = "io.modelcontextprotocol/related-task"

// opMessage is the part of a message the tracker reads.
type opMessage struct {
	Params *opParams `json:"params"`
	Result *struct {
		ResultType   string  `json:"resultType"`
		RequestState *string `json:"requestState"`
		TaskID       string  `json:"taskId"`
		Task         *struct {
			TaskID string `json:"taskId"`
		} `json:"task"`
		Meta opMeta `json:"_meta"`
	} `json:"result"`
}

// opParams is the part of a message's params the tracker reads.
type opParams struct {
	Name           string          `json:"name"`
	URI            string          `json:"uri"`
	Arguments      json.RawMessage `json:"arguments"`
	RequestState   *string         `json:"requestState"`
	InputResponses json.RawMessage `json:"inputResponses"`
	TaskID         string          `json:"taskId"`
	ProgressToken  json.RawMessage `json:"progressToken"` // of a progress notification
	Meta           opMeta          `json:"_meta"`
}

type opMeta struct {
	ProgressToken json.RawMessage `json:"progressToken"`
	Related       *struct {
		TaskID string `json:"taskId"`
	} `json:"io.modelcontextprotocol/related-task"`
}

// note sets o's operation fields from its message text (o's kind, method
// and, for an answer, the operation of the request it answers, are set).
// scope is the correlation scope.
func (t *operations) note(o *Observation, text, scope string) {
	switch o.Kind {
	case KindRequest:
		switch {
		case mrtrMethod(o.Method) && o.Direction == ClientToServer:
			t.request(o, text, scope)
		case taskMethod(o.Method):
			if !t.tracking(&t.tasks) {
				return
			}
			if m, ok := parseOp(text); ok && m.Params != nil {
				t.poll(o, m.Params.TaskID, true)
			}
		default:
			t.related(o, text)
		}
	case KindNotification:
		switch o.Method {
		case "notifications/progress":
			if !t.tracking(&t.tokens) && !t.tracking(&t.tasks) {
				return
			}
			// Only the token is needed, and a progress notification may
			// carry a large message: gjson finds it without decoding the
			// rest (encoding/json decoding the whole body here was about
			// half the proxy's CPU at 16 KiB once any request had named a
			// token: BENCHMARKS.md, "As users run it").
			if params := gjson.Get(text, "params"); params.IsObject() {
				t.progress(o, scope, json.RawMessage(params.Get("progressToken").Raw), text)
			}
		case "notifications/tasks/status":
			if !t.tracking(&t.tasks) {
				return
			}
			if m, ok := parseOp(text); ok && m.Params != nil {
				t.poll(o, m.Params.TaskID, false)
			}
		default:
			t.related(o, text)
		}
	case KindResult:
		if o.Operation != "" && mrtrMethod(o.Method) {
			t.answer(o, text)
		} else if o.Operation == "" {
			t.related(o, text)
		}
	}
}

func parseOp(text string) (opMessage, bool) {
	var m opMessage
	return m, json.Unmarshal([]byte(text), &m) == nil
}

// request gives an MRTR-able request its operation: the one it continues
// (a retry carrying inputResponses or requestState that matches), else a
// new one.
func (t *operations) request(o *Observation, text, scope string) {
	p, ok := requestParams(text)
	if !ok || p == nil {
		return
	}
	name := p.Name
	if o.Method == "resources/read" {
		name = p.URI
	}
	if o.Method == "tools/call" {
		o.Tool = toolName(p.Name)
	}
	if strings.HasPrefix(scope, "conn-") {
		scope = "" // sessionless: the rounds may come on different connections
	}
	key := fingerprint(o.Method, scope, name, p.Arguments)
	retry := p.RequestState != nil || len(p.InputResponses) > 0
	now := time.Now()

	t.mu.Lock()
	defer t.mu.Unlock()
	var r *opRound
	if retry && p.RequestState != nil {
		r = t.live(t.byState, digest(*p.RequestState), now)
	}
	if r == nil && retry {
		r = t.live(t.byKey, key, now)
	}
	if r != nil {
		if r.state != "" {
			delete(t.byState, r.state)
		}
		r.round++
		if !r.answered.IsZero() {
			o.ThinkTime = now.Sub(r.answered)
		}
		r.answered, r.state, r.at = time.Time{}, "", now
	} else {
		t.seq++
		r = &opRound{op: "op-" + strconv.FormatUint(t.seq, 10), round: 1, at: now}
	}
	t.byKey = put(t.byKey, key, r, now)
	o.Operation, o.Round, o.opKey = r.op, r.round, key
	if len(p.Meta.ProgressToken) > 0 {
		t.byToken = put(t.byToken, digest(scope, string(p.Meta.ProgressToken)), &opRound{op: r.op, round: r.round, at: now, tool: o.Tool}, now)
		t.tokens.Store(true)
	}
}

// answer records an MRTR-able request's answer: input_required leaves the
// operation waiting for its retry; a created task binds its taskId.
func (t *operations) answer(o *Observation, text string) {
	input, task := strings.Contains(text, "input_required"), strings.Contains(text, "taskId")
	if !input && !task {
		return
	}
	m, ok := parseOp(text)
	if !ok || m.Result == nil {
		return
	}
	res := m.Result
	at := o.Time
	if at.IsZero() {
		at = time.Now()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case res.ResultType == "input_required":
		r := t.live(t.byKey, o.opKey, at)
		if r == nil || r.op != o.Operation || r.round != o.Round {
			return // a later round began already (its retry came before this answer was described)
		}
		r.answered, r.at = at, at
		if res.RequestState != nil && *res.RequestState != "" {
			r.state = digest(*res.RequestState)
			t.byState = put(t.byState, r.state, r, at)
		}
	case res.ResultType == "task" && res.TaskID != "":
		t.byTask = put(t.byTask, digest(res.TaskID), &opRound{op: o.Operation, round: o.Round, at: at}, at)
		t.tasks.Store(true)
	case res.Task != nil && res.Task.TaskID != "":
		t.byTask = put(t.byTask, digest(res.Task.TaskID), &opRound{op: o.Operation, round: o.Round, at: at}, at)
		t.tasks.Store(true)
	}
}

// poll joins a tasks/* request (a new round when request) or a task status
// notification or related message to the task's operation. Only a request
// gets a round: a notification may be described a moment after it came
// (deferred), when a later poll may have begun.
func (t *operations) poll(o *Observation, taskID string, request bool) {
	if taskID == "" {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.live(t.byTask, digest(taskID), now)
	if r == nil {
		return
	}
	if request {
		r.round++
	}
	r.at = now
	o.Operation = r.op
	if request {
		o.Round = r.round
	}
}

// related joins a message whose _meta names a task to the task's operation.
func (t *operations) related(o *Observation, text string) {
	if !t.tracking(&t.tasks) || !strings.Contains(text, relatedTaskKey) {
		return
	}
	m, ok := parseOp(text)
	if !ok {
		return
	}
	var meta opMeta
	switch {
	case m.Params != nil:
		meta = m.Params.Meta
	case m.Result != nil:
		meta = m.Result.Meta
	}
	if meta.Related != nil {
		t.poll(o, meta.Related.TaskID, false)
	}
}

// progress joins a progress notification to its request's operation.
func (t *operations) progress(o *Observation, scope string, token json.RawMessage, text string) {
	if len(token) == 0 {
		t.related(o, text)
		return
	}
	if strings.HasPrefix(scope, "conn-") {
		scope = ""
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.live(t.byToken, digest(scope, string(token)), now); r != nil {
		o.Operation, o.Round, o.Tool = r.op, r.round, r.tool
	}
}

// maxToolName bounds the tool name an observation carries (and the
// correlator and the progress index keep): the specification asks for 1 to
// 128 characters; a longer name is cut, marked with "…".
const maxToolName = 256

// toolName returns name bounded by maxToolName, cut at a rune boundary.
func toolName(name string) string {
	if len(name) <= maxToolName {
		return name
	}
	cut := maxToolName - len("…")
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "…"
}

// live returns the entry of k in m unless it is too old (then forgotten).
func (t *operations) live(m map[string]*opRound, k string, now time.Time) *opRound {
	r := m[k]
	if r != nil && now.Sub(r.at) > operationMaxAge {
		delete(m, k)
		return nil
	}
	return r
}

// put sets m[k] = r (m made if nil), first making room when m is full:
// entries older than operationMaxAge go, then arbitrary ones, down to 7/8.
func put(m map[string]*opRound, k string, r *opRound, now time.Time) map[string]*opRound {
	if m == nil {
		m = make(map[string]*opRound)
	}
	if _, ok := m[k]; !ok && len(m) >= maxOperations {
		for k, e := range m {
			if now.Sub(e.at) > operationMaxAge {
				delete(m, k)
			}
		}
		for k := range m {
			if len(m) < maxOperations*7/8 {
				break
			}
			delete(m, k)
		}
	}
	m[k] = r
	return m
}

// fingerprint identifies an MRTR-able request apart from its id,
// inputResponses and requestState: method, scope, name (or uri) and the
// arguments with their keys sorted. It is a hash, so an entry's size does
// not depend on the arguments'.
func fingerprint(method, scope, name string, args json.RawMessage) string {
	canon := []byte(args)
	if len(args) > 0 {
		var v any
		d := json.NewDecoder(strings.NewReader(string(args)))
		d.UseNumber()
		if d.Decode(&v) == nil {
			if b, err := json.Marshal(v); err == nil {
				canon = b
			}
		}
	}
	return digest(method, scope, name, string(canon))
}
