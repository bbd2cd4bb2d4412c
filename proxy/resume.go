package proxy

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/mcpscope/mcpscope/proxy/store"
	"github.com/mcpscope/mcpscope/sse"
)

// Resumption through minted ids (DESIGN "Resumption"). Where no rule
// changed a stream, upstream ids and Last-Event-ID pass through and the
// upstream replays from its own store. A client resuming from an id the
// proxy minted (see resume_mint.go) is served in two parts:
//
//  1. the events the stream's replay log holds after the client's one, as
//     they were forwarded (rule changes and injected events included);
//  2. then the upstream, asked to resume from its cursor at the last event
//     of part 1 (its Last-Event-ID is rewritten to that cursor), with the
//     proxy minting on from the same sequence.
//
// If the log lacks what followed the client's event (evicted, or kept by
// another instance with a memory store), part 1 is skipped and the
// upstream resumes from the cursor in the client's id: what the upstream
// replays is judged by the rules again, but events the proxy injected are
// lost, which a notice says. When the upstream gave no ids at all, a POST
// stream is answered from the log alone, and a GET stream continues with a
// fresh upstream stream. An upstream event that part 1 already carried is
// flagged "duplicate", never dropped.
type resumeState struct {
	id        mintedID            // the client's Last-Event-ID
	events    []store.LoggedEvent // part 1
	seq       int64               // the sequence to mint on from
	cursor    string              // the upstream's cursor to resume from ("" none)
	localOnly bool                // answer from the log alone
}

// prepareResume reads the replay log for a GET whose Last-Event-ID the
// proxy minted and points out's Last-Event-ID at the upstream's cursor.
func (p *Proxy) prepareResume(ctx context.Context, id mintedID, out *http.Request) *resumeState {
	rs := &resumeState{id: id, seq: id.seq, cursor: id.cursor}
	logged, complete, err := p.ReplayLog.After(ctx, id.key, id.seq)
	switch {
	case err != nil:
		p.Notice("resuming stream " + id.key + ": the replay log failed (" + err.Error() + "); resuming from the upstream's cursor, events the proxy injected or changed after it are not replayed")
	case !complete:
		p.Notice("resuming stream " + id.key + " after event " + strconv.FormatInt(id.seq, 10) + ": the replay log no longer holds what followed (evicted, or logged by another instance); resuming from the upstream's cursor, events the proxy injected after it are lost")
	case len(logged) > 0:
		rs.events = logged
		last := logged[len(logged)-1]
		rs.seq, rs.cursor = last.Seq, last.Cursor
	}
	if rs.cursor != "" {
		out.Header.Set("Last-Event-ID", rs.cursor)
		return rs
	}
	out.Header.Del("Last-Event-ID")
	if id.kind == 'p' {
		rs.localOnly = true // the upstream cannot resume a stream it gave no ids
	} else if len(rs.events) == 0 && !complete {
		p.Notice("resuming stream " + id.key + ": the upstream gives no event ids, so events sent while the client was away are lost; a fresh upstream stream follows")
	}
	return rs
}

// logOnlyResponse stands for the upstream's answer when the log alone
// answers: an event stream with nothing after the logged events.
func logOnlyResponse() *http.Response {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}, "Cache-Control": {"no-cache"}},
		Body:       io.NopCloser(eofReader{}),
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// replayLogged sends the client the logged events of a resumption and
// mints on from the last of them.
func (s *sseStream) replayLogged(rs *resumeState) error {
	s.mint = &minter{id: mintedID{key: rs.id.key, kind: rs.id.kind, seq: rs.seq, cursor: rs.cursor}, replayed: map[string]bool{}}
	for _, e := range rs.events {
		frame := []byte(e.Frame)
		s.w.addOther(frame, 0)
		s.gate.events.Add(1)
		s.gate.bytes.Add(int64(len(frame)))
		if e.Cursor != "" {
			s.mint.replayed[e.Cursor] = true
		}
		if s.p.bus().Active() {
			s.outbox.add(outboxEntry{o: s.loggedObservation(e), scope: s.scope})
		}
	}
	return s.flush()
}

// loggedObservation describes an event sent again from the replay log.
func (s *sseStream) loggedObservation(e store.LoggedEvent) *Observation {
	o := &Observation{Type: TypeSSEEvent, Direction: ServerToClient, Raw: e.Frame, Size: len(e.Frame), Flags: []string{"replayed"},
		Session: s.session, Stream: s.id, Exchange: s.exchange}
	var parser sse.Parser
	parser.MaxEventSize = -1
	parser.Feed([]byte(e.Frame))
	if b, ok := parser.Next(); ok {
		o.MintedID, o.EventType = string(b.ID), string(b.Event)
		if b.Dispatch && len(b.Data) > 0 {
			s.p.describeMessage(o, string(b.Data), s.scope, true)
		}
	}
	return o
}

// resumeConflictWait bounds how long a resumption that the upstream refuses
// with 409 Conflict is sent again (see retryResumeConflict).
const resumeConflictWait = time.Second

// resumeConflict reports whether resp refuses a resumption (a GET with a
// Last-Event-ID) because the stream it resumes is still being served.
func resumeConflict(out *http.Request, resp *http.Response) bool {
	return resp.StatusCode == http.StatusConflict && out.Method == http.MethodGet && out.Header.Get("Last-Event-ID") != ""
}

// retryResumeConflict sends a resumption the upstream refused with 409
// again, backing off, for up to resumeConflictWait. A client that lost its
// connection mid-stream and resumes at once races the proxy: the proxy
// cancels the dropped request upstream when it sees the client go, and an
// upstream such as go-sdk answers 409 until it has noticed that cancel
// (its "stream ID conflicts with ongoing stream"). The race is the proxy's
// own doing, and a GET carries no JSON-RPC request, so sending it again is
// safe. It returns the last response, a 409 still if the upstream keeps the
// stream.
func (p *Proxy) retryResumeConflict(ctx context.Context, out *http.Request, resp *http.Response) (*http.Response, error) {
	deadline := time.Now().Add(resumeConflictWait)
	for wait := 10 * time.Millisecond; resumeConflict(out, resp) && time.Now().Add(wait).Before(deadline); wait *= 2 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		sleep(ctx, wait)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		next, err := p.transport().RoundTrip(out)
		if err != nil {
			return nil, err
		}
		resp = next
	}
	return resp, nil
}
