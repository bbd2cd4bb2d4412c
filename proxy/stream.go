package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/proxy/store"
	"github.com/mcpscope/mcpscope/rules"
	"github.com/mcpscope/mcpscope/sse"
)

// sseStream forwards one SSE response event by event. One goroutine (the
// client request's handler) runs it from open to close.
type sseStream struct {
	p              *Proxy
	id             string
	exchange       string // the exchange the stream answers
	session        string // shown with the stream's observations
	scope          string // correlation scope of the exchange that opened it
	kind           StreamKind
	w              *batchWriter
	rc             *http.ResponseController // nil once handed over
	conn           net.Conn                 // the client's connection, once handed over (handover.go)
	parser         sse.Parser
	buf            readBuffer
	client         *http.Request   // the client's request that opened the stream
	legacy         *legacyEndpoint // set on a legacy GET /sse stream
	gate           *streamGate
	cutBy          string    // the rule that cut the stream, if one did
	broke          bool      // the upstream's body broke off: the client's breaks too
	closeDelimited bool      // the body is not chunked: its end is the connection's close (closeDelimited)
	outbox         outbox    // observations published once the client has the bytes
	mint           *minter   // set once the stream's ids are the proxy's (resume_mint.go)
	drain          drainer   // how the stream goes on without its client (resume_drain.go)
	minted         eventMint // what minting did to the current event, for its observation

	resend      resendMark     // the stream answers a re-send: its events are marked (resend.go)
	revision    string         // the protocol revision of the exchange the stream answers
	modern      bool           // it is 2026-07-28 or later: no ids minted, no drain (revision.go)
	initialized *store.Session // the session the stream's initialize created, until its result passed (session_version.go)

	replies sync.WaitGroup // answers to the server under way (replyUpstream); waited for at close

	readAt time.Time // when the last chunk was read: when its blocks arrived
	last   time.Time // when the previous block arrived
}

func (p *Proxy) streamSSE(w http.ResponseWriter, r *http.Request, ex *exchange, resp *http.Response, closeDelimited bool) {
	s := &sseStream{
		closeDelimited: closeDelimited,
		p:              p,
		id:             "st-" + strconv.FormatUint(p.streamSeq.Add(1), 10),
		exchange:       ex.id,
		scope:          ex.scope,
		client:         r,
		kind:           streamKind(r),
		w:              &batchWriter{w: w},
		rc:             http.NewResponseController(w),
		last:           time.Now(),
		drain:          drainer{detach: ex.followClient, end: ex.endUpstream},
		revision:       ex.revision,
		modern:         modernRevision(ex.revision),
		resend:         ex.resend,
	}
	s.session = ex.scope
	if ex.http.NewSession != "" {
		s.session, s.initialized = ex.http.NewSession, ex.session
	}
	s.parser.MaxEventSize = p.MaxEventSize
	if s.kind == StreamLegacy {
		s.legacy = &legacyEndpoint{upstream: p.Upstream, clientHost: r.Host, clientTLS: r.TLS != nil}
	}
	if err := s.rc.Flush(); err != nil { // the client learns the stream is open now
		return
	}
	if closeDelimited && s.handOver(ex, resp.Body) {
		return
	}
	s.serve(r.Context(), ex.resume, resp.Body)
}

// serve runs the stream from its opened observation to its closed one,
// replaying resume first if it is set. ctx ends when the client leaves.
func (s *sseStream) serve(ctx context.Context, resume *resumeState, body io.Reader) {
	p := s.p
	s.gate = p.gates.open(s.id, s.session, s.kind)
	defer p.gates.close(s.gate)
	s.publish(&Observation{Type: TypeStreamOpened, StreamKind: s.kind})
	reason := ""
	if resume != nil {
		if err := s.replayLogged(resume); err != nil {
			reason = s.writeFailed(err)
		}
	}
	if reason == "" {
		reason = s.run(ctx, body)
	}
	s.replies.Wait() // each ends within replyTimeout
	s.buf.close()
	s.drain.stop()
	closed := &Observation{Type: TypeStreamClosed, StreamKind: s.kind, Reason: reason, Events: s.gate.events.Load(), Bytes: s.gate.bytes.Load()}
	if s.broke {
		closed.Flags = []string{FlagUpstreamBroke}
	}
	s.publish(closed)
	if s.cutBy != "" || s.broke {
		s.breakConnection()
	}
}

// breakConnection ends the response so the client sees the connection
// break, not a clean end: a rule's cut, or the upstream's own break, which
// the client must see as one to take its reconnect path (abortResponse).
// A stream handed over (see handover.go) has its connection reset; any
// other does not return.
func (s *sseStream) breakConnection() {
	if s.conn != nil { // handed over: the connection is the stream's already
		resetConn(s.conn)
		return
	}
	abortResponse(s.rc, s.closeDelimited)
}

// streamKind tells what opened a stream from the request that did.
func streamKind(r *http.Request) StreamKind {
	switch {
	case r.Method == http.MethodPost:
		return StreamPOST
	case r.Header.Get(headerSessionID) == "" && legacySessionID(r.URL.Query()) == "":
		return StreamLegacy // GET without a session: the 2024-11-05 transport's /sse
	default:
		return StreamGET
	}
}

// run is the streaming loop: read a chunk, feed the parser, forward each
// complete block, and flush once the chunk is used up — before the next
// read, which may block. It returns why the stream ended.
func (s *sseStream) run(ctx context.Context, body io.Reader) string {
	for {
		chunk, err := s.buf.read(body, s.p.bus().Active(), s.parser.Buffered())
		s.readAt = time.Now()
		if len(chunk) > 0 {
			s.w.startChunk(chunk)
			s.parser.Feed(chunk)
			for {
				b, ok := s.parser.Next()
				if !ok {
					break
				}
				if reason := s.forward(ctx, b); reason != "" {
					return reason
				}
			}
			if werr := s.flush(); werr != nil && !s.keepDraining() {
				return s.writeFailed(werr)
			}
		}
		if err != nil {
			if b, ok := s.parser.End(); ok {
				if reason := s.forward(ctx, b); reason != "" {
					return reason
				}
				if werr := s.flush(); werr != nil && !s.keepDraining() {
					return s.writeFailed(werr)
				}
			}
			s.broke = upstreamBroke(ctx, err)
			return s.drain.note(endReason(ctx, err))
		}
	}
}

func endReason(ctx context.Context, err error) string {
	switch {
	case ctx.Err() != nil:
		return "client disconnected"
	case errors.Is(err, io.EOF):
		return "upstream ended the stream"
	case upstreamBroke(ctx, err):
		return "upstream broke: " + err.Error()
	default:
		return "reading upstream: " + err.Error()
	}
}

// flush writes what is pending to the client and flushes it, then hands
// the observations of what was written to the bus (built and published off
// the data path, see outbox).
func (s *sseStream) flush() error {
	defer s.outbox.handOff(s)
	if err := s.w.flushPending(); err != nil || s.rc == nil { // handed over: written to the connection itself
		return err
	}
	return s.rc.Flush()
}

// forward observes one block, applies the rules, waits at the gate, and
// writes it: its raw bytes, or its re-encoding where the proxy changed it.
// It returns why the stream must end, or "".
func (s *sseStream) forward(ctx context.Context, b *sse.Block) string {
	now := s.readAt // one clock reading per read, not per event (a reading costs about as much as capturing the event)
	gap := now.Sub(s.last)
	s.last = now
	out, changed := b.Raw, false
	if s.initialized != nil && b.Dispatch && s.p.noteNegotiated(ctx, s.initialized, string(b.Data)) {
		s.initialized = nil
	}
	if s.legacy != nil && b.Dispatch && string(b.Event) == "endpoint" {
		out, changed = s.legacy.rewrite(b, func(upstreamID string) (string, error) {
			sess, err := s.p.newSession(ctx, s.p.Upstream, upstreamID, nil)
			if err != nil {
				return "", err
			}
			return sess.ProxyID, nil
		})
		if sid := s.legacy.sessionID; sid != "" && sid != s.session {
			s.session, s.scope = sid, sid
			s.p.gates.move(s.gate, sid)
		}
	}
	// With no rule that may judge it and no gate to hold it, an event is
	// only captured here; its observation is built off the data path.
	observeAfter := !s.gate.closed.Load() && !s.mayBeJudged(b)
	var v outcome
	if !observeAfter && (s.p.bus().Active() || s.p.rules.Load() != nil) {
		out, changed, v = s.observe(ctx, b, now, gap, out, changed)
	}
	s.startMinting(b, v.drop || v.rule != nil || (changed && s.legacy == nil))
	end := s.parser.Consumed()
	if v.drop {
		s.w.addOther(nil, end)
		return ""
	}
	if r := v.rule; r != nil && r.Action == rules.Cut && s.gate.events.Load() >= int64(r.After) {
		s.cutBy = r.Name
		if err := s.flush(); err != nil {
			return s.writeFailed(err)
		}
		return "cut by rule " + strconv.Quote(r.Name)
	}
	obsOut, obsChanged := out, changed // observed as the upstream sent it, with the minted id beside
	if s.mint != nil {
		out, changed = s.mintForward(ctx, b, out, changed, !observeAfter)
	}
	if s.gate.closed.Load() || v.delay > 0 {
		if err := s.wait(ctx, v.delay); err != nil && !s.keepDraining() {
			if ctx.Err() != nil {
				return "client disconnected"
			}
			return s.writeFailed(err)
		}
	}
	s.gate.events.Add(1)
	s.gate.bytes.Add(int64(len(out)))
	if !changed && len(b.Raw) == end-s.w.pendingChunkEnd() {
		s.w.addChunkBytes(end)
	} else {
		s.w.addOther(out, end)
	}
	if r := v.rule; r != nil && r.Action == rules.Inject {
		s.inject(ctx, r, end)
	}
	if observeAfter && s.p.bus().Active() {
		s.observeLater(b, now, gap, obsOut, obsChanged)
	}
	s.minted = eventMint{}
	return ""
}

// wait holds the event at the pause gate, then for a rule's delay. What
// was written before is flushed first.
func (s *sseStream) wait(ctx context.Context, delay time.Duration) error {
	if s.gate.closed.Load() {
		if err := s.waitAtGate(ctx); err != nil {
			return err
		}
	}
	if delay > 0 {
		if err := s.flush(); err != nil {
			return err
		}
		sleep(ctx, delay)
	}
	return ctx.Err()
}

// waitAtGate holds the stream at its closed gate until the gate opens (or
// a step lets this one event through) or the client leaves. Everything
// before the event is flushed to the client first; nothing more is read
// from the upstream meanwhile.
func (s *sseStream) waitAtGate(ctx context.Context) error {
	if err := s.flush(); err != nil {
		return err
	}
	held := int64(len(s.w.chunk)-s.w.pendingChunkEnd()) + int64(s.parser.Buffered())
	return s.p.gates.await(ctx, s.gate, held, s.publish)
}
