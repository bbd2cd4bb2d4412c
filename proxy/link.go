package proxy

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpscope/mcpscope/internal/plural"
)

// A Link is one session of a transport that is not HTTP: a stdio server,
// whose messages travel one per line, client→server on its stdin and
// server→client on its stdout. The transport (the wrap relay, the hub, the
// bridge) reads a line, passes it through the Link, and writes what the
// Link says. A Link goes through the same engine as an HTTP body or an SSE
// event: each message is described, judged by the rules (breakpoints wait
// here), published on the bus and correlated with its answer
// (Proxy.intercept), and server→client lines wait at a pause gate like an
// SSE stream's events: while it is closed Pass does not return, so the
// transport reads nothing more from the server and the server's writes
// block on the full pipe. A Link is listed as a session (Transport
// "stdio", named after its command) with one stream (StreamStdio), so the
// UI, the control API and recordings show, pause and step it as any
// other.
//
// Pass may be called from two goroutines at once, one per direction; the
// messages of one direction must be passed in order, one at a time.
type Link struct {
	p       *Proxy
	session string
	stream  string
	gate    *streamGate

	closeOnce sync.Once
	closed    atomic.Bool // set before Close forgets the session

	// revision is the protocol revision the client's requests state
	// (2026-07-28 puts it in every request's _meta), for the answers
	// rules make (revision.go); nil until one states it.
	revision atomic.Pointer[string]
}

// LinkInfo describes the session a Link carries.
type LinkInfo struct {
	// Name is what the session is called: the server's command line.
	Name string
	// Session is the session's id; "" mints one ("stdio-N").
	Session string
}

// Verdict is what to do with one line a Link passed.
type Verdict struct {
	// Forward is the line to send on (without its newline): the line
	// passed, unchanged, or as a rule changed it; nil to send nothing (a
	// rule dropped it, or answered it in Back).
	Forward []byte
	// Back is what to send back the way the line came, one message per
	// line: the answer a rule gave a client's request instead of the
	// server (mock, block), or to a server's request in the client's
	// place. Empty for most lines.
	Back []byte
}

// OpenLink registers a stdio session and its server→client stream, and
// publishes that they opened. The caller must Close it.
func (p *Proxy) OpenLink(info LinkInfo) *Link {
	session := info.Session
	if session == "" {
		session = "stdio-" + strconv.FormatUint(p.linkSeq.Add(1), 10)
	}
	l := &Link{p: p, session: session, stream: "st-" + strconv.FormatUint(p.streamSeq.Add(1), 10)}
	p.gates.label(session, "stdio", info.Name)
	l.gate = p.gates.open(l.stream, session, StreamStdio)
	if p.bus().Active() {
		p.bus().Publish(&Observation{Type: TypeSession, Session: session, Reason: "stdio session started: " + info.Name})
		l.publish(&Observation{Type: TypeStreamOpened, StreamKind: StreamStdio})
	}
	return l
}

// Session is the Link's session id.
func (l *Link) Session() string { return l.session }

// Stream is the id of the Link's server→client stream, the one that
// pauses.
func (l *Link) Stream() string { return l.stream }

// Pass takes one line travelling in direction dir (without its newline)
// through the engine and returns what to send on. A server→client line
// first waits at the gate while it is closed. Rules may change, drop or
// answer it, delay it or hold it at a breakpoint. It returns ctx's error,
// and a zero Verdict, if ctx ends while the line waits; the line is then
// not forwarded.
//
// line is not kept: the Verdict's Forward may be line itself, valid until
// the caller reuses line's bytes.
func (l *Link) Pass(ctx context.Context, dir Direction, line []byte) (Verdict, error) {
	p := l.p
	if dir == ServerToClient && l.gate.closed.Load() {
		if err := p.gates.await(ctx, l.gate, int64(len(line)), l.publish); err != nil {
			return Verdict{}, err
		}
	}
	l.count(dir, line)
	if !p.bus().Active() && p.rules.Load() == nil {
		return Verdict{Forward: line}, nil
	}
	text := string(line)
	body, _, local := p.intercept(ctx, text, place{scope: l.session, stream: l.stream, revision: l.revisionOf(dir, line)}, dir)
	if err := ctx.Err(); err != nil && local.published {
		return Verdict{}, err // held at a breakpoint until the link ended
	}
	v := Verdict{Forward: line}
	switch {
	case body == "":
		v.Forward = nil
	case body != text:
		v.Forward = []byte(body)
	}
	switch {
	case local.answer != "":
		v.Forward, v.Back = nil, []byte(local.answer)
		if p.bus().Active() {
			p.publishMessages(local.answer, l.session, l.stream, "", ServerToClient, []string{"local"})
		}
	case local.status != 0: // a dropped request or notification: nothing goes on
		v.Forward = nil
	case local.reply != "":
		v.Back = []byte(local.reply)
		if p.bus().Active() {
			p.publishMessages(local.reply, l.session, l.stream, "", ClientToServer, []string{"by_mcpscope"})
		}
	}
	return v, nil
}

// revisionOf notes the revision a client's line states and returns the
// revision the session speaks, as last stated.
func (l *Link) revisionOf(dir Direction, line []byte) string {
	if dir == ClientToServer {
		if v := bodyRevision(line); v != "" {
			if old := l.revision.Load(); old == nil || *old != v {
				l.revision.Store(&v)
			}
			return v
		}
	}
	if v := l.revision.Load(); v != nil {
		return *v
	}
	return ""
}

// count notes a line going by in the session's table and the stream's
// counters.
func (l *Link) count(dir Direction, line []byte) {
	if dir == ServerToClient {
		l.gate.events.Add(1)
		l.gate.bytes.Add(int64(len(line)))
		return
	}
	l.p.gates.touch(l.session, time.Now())
	if l.closed.Load() { // passed as the link closed: the session stays forgotten
		l.p.gates.forget(l.session)
	}
}

// Steered reports whether the engine may act on the Link's lines: a rule
// is in force, or a pause applies to its stream. While it does not, Pass
// would forward every line unchanged at once, so a transport may forward
// lines without asking and Observe them after (see WatchSteer).
func (l *Link) Steered() bool {
	set := l.p.rules.Load()
	return set != nil && len(set.Rules) > 0 || l.gate.closed.Load()
}

// WatchSteer calls fn with Steered now and again each time it changes
// (rules loaded or cleared, the stream paused or resumed), from the
// calling goroutine, until ctx ends. A transport that forwards without
// asking (Observe) starts passing lines again once fn says true; lines it
// forwarded before it heard are forwarded, as a message already on its
// way when a rule loads or a pause begins.
func (l *Link) WatchSteer(ctx context.Context, fn func(steered bool)) {
	last := -1
	for {
		rules := l.p.rulesSet.changed()
		now := 0
		if l.Steered() {
			now = 1
		}
		if now != last {
			fn(now == 1)
			last = now
		}
		select {
		case <-rules:
		case <-l.gate.steer:
		case <-ctx.Done():
			return
		}
	}
}

// observedKey marks the context of a line a transport already forwarded:
// the rules do not judge it (it is too late to change it).
type observedKey struct{}

var observedCtx = context.WithValue(context.Background(), observedKey{}, true)

func isObserved(ctx context.Context) bool { return ctx.Value(observedKey{}) != nil }

// Observe publishes a line the transport forwarded without passing it
// (Steered was false): it is counted, described, published and correlated
// with its answer as Pass would, but not judged and never held at the
// gate. line is not kept. at is when the transport read it: the
// observation's time.
func (l *Link) Observe(dir Direction, line []byte, at time.Time) {
	l.count(dir, line)
	if l.p.bus().Active() {
		l.p.intercept(observedCtx, string(line), place{scope: l.session, stream: l.stream, seen: at}, dir)
	}
}

// Unobserved publishes that lines (of size bytes in all) went by in dir
// that the transport forwarded but could not show: its observer fell
// behind a flood and dropped them rather than slow the server.
func (l *Link) Unobserved(dir Direction, lines, size int64) {
	if dir == ServerToClient {
		l.gate.events.Add(lines)
		l.gate.bytes.Add(size)
	}
	if l.p.bus().Active() {
		l.publish(&Observation{Type: TypeNotice, Direction: dir, Events: lines, Bytes: size, Flags: []string{"unobserved"},
			Reason: fmt.Sprintf("%s (%s) %s went by unobserved: the observer fell behind and dropped them rather than slow the server",
				plural.Count(int(lines), "line"), plural.Count(int(size), "byte"), arrow(dir))})
	}
}

// Close ends the Link: its stream closes (reason says why: "server exited
// with status 1", "client closed stdin"), the session is told ended and
// is no longer listed (as an HTTP session the client deleted).
func (l *Link) Close(reason string) {
	l.closeOnce.Do(func() {
		p := l.p
		l.closed.Store(true)
		p.gates.close(l.gate)
		p.gates.forget(l.session)
		if p.bus().Active() {
			l.publish(&Observation{Type: TypeStreamClosed, StreamKind: StreamStdio, Reason: reason,
				Events: l.gate.events.Load(), Bytes: l.gate.bytes.Load()})
			p.bus().Publish(&Observation{Type: TypeSession, Session: l.session, Reason: "stdio session ended: " + reason})
		}
	})
}

func arrow(dir Direction) string {
	if dir == ServerToClient {
		return "server→client"
	}
	return "client→server"
}

func (l *Link) publish(o *Observation) {
	o.Session, o.Stream = l.session, l.stream
	l.p.bus().Publish(o)
}
