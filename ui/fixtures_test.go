package ui

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// fakeEngine records the control calls the UI makes and keeps the pause
// state they imply.
type fakeEngine struct {
	mu      sync.Mutex
	calls   []string
	streams []proxy.StreamInfo
	sess    []proxy.SessionInfo
	global  bool
	held    []proxy.HeldInfo
}

func newFakeEngine() *fakeEngine {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	return &fakeEngine{
		streams: []proxy.StreamInfo{
			{ID: "st-1", Session: "s-1", Kind: proxy.StreamGET, State: "flowing", Opened: at, Events: 3, Bytes: 600},
			{ID: "st-2", Session: "s-1", Kind: proxy.StreamPOST, State: "flowing", Opened: at, Events: 12, Bytes: 2400},
		},
		sess: []proxy.SessionInfo{{ID: "s-1", Upstream: "up-7f3a", Protocol: "2025-11-25", FirstSeen: at, LastSeen: at, Requests: 4, Streams: 2}},
	}
}

func (f *fakeEngine) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeEngine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeEngine) Streams() []proxy.StreamInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]proxy.StreamInfo(nil), f.streams...)
}

func (f *fakeEngine) Sessions() []proxy.SessionInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]proxy.SessionInfo(nil), f.sess...)
}

func (f *fakeEngine) setStream(id string, paused bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.streams {
		if f.streams[i].ID == id {
			f.streams[i].Paused = paused
			f.streams[i].State = map[bool]string{true: "held", false: "flowing"}[paused]
			return nil
		}
	}
	return fmt.Errorf("%w: %q", proxy.ErrUnknownStream, id)
}

func (f *fakeEngine) PauseStream(id, by string) error {
	f.record("pause stream " + id + " by " + by)
	return f.setStream(id, true)
}

func (f *fakeEngine) ResumeStream(id, by string) error {
	f.record("resume stream " + id + " by " + by)
	return f.setStream(id, false)
}

func (f *fakeEngine) StepStream(id, by string) error {
	f.record("step stream " + id + " by " + by)
	return nil
}

func (f *fakeEngine) PauseSession(id, by string) error {
	f.record("pause session " + id + " by " + by)
	f.mu.Lock()
	f.sess[0].Paused = true
	f.mu.Unlock()
	return nil
}

func (f *fakeEngine) ResumeSession(id, by string) error {
	f.record("resume session " + id + " by " + by)
	f.mu.Lock()
	f.sess[0].Paused = false
	f.mu.Unlock()
	return nil
}

func (f *fakeEngine) PauseAll(by string) {
	f.record("pause all by " + by)
	f.mu.Lock()
	f.global = true
	f.mu.Unlock()
}

func (f *fakeEngine) ResumeAll(by string) {
	f.record("resume all by " + by)
	f.mu.Lock()
	f.global = false
	f.mu.Unlock()
}

func (f *fakeEngine) Held() []proxy.HeldInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]proxy.HeldInfo(nil), f.held...)
}

func (f *fakeEngine) resolve(what, id string) error {
	f.record(what + " " + id)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, h := range f.held {
		if h.ID == id {
			f.held = append(f.held[:i], f.held[i+1:]...)
			return nil
		}
	}
	return proxy.ErrUnknownHeld
}

func (f *fakeEngine) ResumeHeld(id, edited, by string) error {
	return f.resolve("resume held "+edited+" by "+by, id)
}
func (f *fakeEngine) DropHeld(id, by string) error { return f.resolve("drop held by "+by, id) }
func (f *fakeEngine) FailHeld(id, by string) error { return f.resolve("fail held by "+by, id) }

func (f *fakeEngine) Paused() (proxy.Pause, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return proxy.Pause{By: "tui"}, f.global
}

// traffic is a small, fixed exchange: a tools/call request, its progress
// on an SSE stream, its result, and a notification with a hostile method.
func traffic() []*proxy.Observation {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var out []*proxy.Observation
	add := func(o *proxy.Observation) {
		o.Seq = uint64(len(out) + 1)
		o.Time = at.Add(time.Duration(len(out)) * 10 * time.Millisecond)
		o.Session = "s-1"
		out = append(out, o)
	}
	add(&proxy.Observation{Type: proxy.TypeMessage, Direction: proxy.ClientToServer, Kind: proxy.KindRequest, Method: "tools/call", ID: "1",
		Body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"progress","arguments":{"count":3}}}`})
	for i := 1; i <= 3; i++ {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":%d,"total":3}}`, i)
		add(&proxy.Observation{Type: proxy.TypeSSEEvent, Stream: "st-2", Direction: proxy.ServerToClient, Kind: proxy.KindNotification,
			Method: "notifications/progress", EventID: fmt.Sprintf("abc_%d", i), HasID: true, EventType: "message", Size: 150,
			Gap: 10 * time.Millisecond, Body: body, Raw: "event: message\nid: abc_" + fmt.Sprint(i) + "\ndata: " + body + "\n\n"})
	}
	add(&proxy.Observation{Type: proxy.TypeSSEEvent, Stream: "st-2", Direction: proxy.ServerToClient, Kind: proxy.KindResult, Method: "tools/call",
		ID: "1", RequestSeq: 1, Latency: 42 * time.Millisecond, EventID: "abc_4", HasID: true, Size: 120,
		Body: `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"done 3"}]}}`})
	add(&proxy.Observation{Type: proxy.TypeSSEEvent, Stream: "st-1", Direction: proxy.ServerToClient, Kind: proxy.KindNotification,
		Method: "evil\x1b]0;pwned\x07\x1b[2J", Size: 60, Body: `{"jsonrpc":"2.0","method":"evil\u001b]0;pwned"}`})
	return out
}

// stripANSI removes SGR styling so assertions can read the text.
func plain(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
