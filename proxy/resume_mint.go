package proxy

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/proxy/store"
	"github.com/mcpscope/mcpscope/sse"
)

// Minted event ids. Where a rule changed a stream, or the upstream gives
// its events no ids, the upstream's ids cannot resume what the client saw,
// so the proxy gives the events ids of its own and logs them (ReplayLog).
// A minted id encodes everything needed to resume, so any instance can:
//
//	mcps1.<stream key>.<kind><seq>.<cursor>
//
// the stream's replay log key (random, 128 bits), its kind ('p' a POST
// stream, 'g' a GET stream), the proxy's own sequence number of the event on
// that stream, and the upstream's last event id when it was read
// (base64url, empty when the upstream gave none).
const mintedPrefix = "mcps1."

// logTimeout bounds one append to the replay log (Redis being slow or down
// must not hold a stream long).
const logTimeout = 2 * time.Second

type mintedID struct {
	key    string
	kind   byte
	seq    int64
	cursor string
}

func (m mintedID) String() string {
	return mintedPrefix + m.key + "." + string(m.kind) + strconv.FormatInt(m.seq, 10) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(m.cursor))
}

// parseMintedID reads an id the proxy minted; ok is false for any other
// (an upstream's id, which passes through).
func parseMintedID(s string) (m mintedID, ok bool) {
	rest, found := strings.CutPrefix(s, mintedPrefix)
	if !found {
		return m, false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || len(parts[0]) != 32 || len(parts[1]) < 2 || (parts[1][0] != 'p' && parts[1][0] != 'g') {
		return m, false
	}
	if _, err := hex.DecodeString(parts[0]); err != nil {
		return m, false
	}
	seq, err := strconv.ParseInt(parts[1][1:], 10, 64)
	if err != nil || seq < 0 {
		return m, false
	}
	cursor, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return m, false
	}
	return mintedID{key: parts[0], kind: parts[1][0], seq: seq, cursor: string(cursor)}, true
}

func newStreamKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// minter gives one stream's events minted ids and logs them.
type minter struct {
	id mintedID // the last id given (seq counts events)
	// replayed holds the upstream cursors of events sent from the log on
	// resumption: the upstream sending one of them again is a duplicate,
	// flagged (never dropped).
	replayed map[string]bool
	logErr   bool // a failed log append was reported
}

// startMinting switches the stream to minted ids if it must: a rule acted
// on it, or the upstream gives its events no ids. It does nothing without
// a replay log, on the legacy transport (which has no resumption), on
// 2026-07-28 and later (no resumption either: a changed event is re-encoded
// without an id), or once minting.
func (s *sseStream) startMinting(b *sse.Block, ruleActed bool) {
	if s.mint != nil || s.p.ReplayLog == nil || s.legacy != nil || s.modern {
		return
	}
	noIDs := b.Dispatch && !b.HasID && len(s.parser.LastEventID()) == 0
	if !ruleActed && !noIDs {
		return
	}
	kind := byte('g')
	if s.kind == StreamPOST {
		kind = 'p'
	}
	s.mint = &minter{id: mintedID{key: newStreamKey(), kind: kind}}
	if noIDs && kind == 'p' {
		// Only the log can resume this call's stream: keep reading it when
		// the client leaves. (Where the upstream gives ids it resumes
		// itself, and must not see the old request still open; a GET
		// stream without ids is simply opened again.)
		s.drain.start(s.p.DrainFor)
	}
}

// mintEvent gives frame (one block, as it is to be forwarded) a minted id
// and logs it. A dispatching event takes the next sequence number; an
// id-only block keeps the current one with the newer cursor. A frame that
// is not one block (a rule's malformed frame) is returned as it is.
func (s *sseStream) mintEvent(ctx context.Context, frame []byte) (out []byte, id string) {
	var p sse.Parser
	p.MaxEventSize = -1
	p.Feed(frame)
	b, ok := p.Next()
	if !ok || p.Consumed() != len(frame) || (!b.Dispatch && !b.HasID) {
		return frame, ""
	}
	m := s.mint
	m.id.cursor = string(s.parser.LastEventID())
	if b.Dispatch {
		m.id.seq++
	}
	id = m.id.String()
	if !b.Dispatch {
		// Nothing to replay: the next event's id carries the cursor on.
		return append(append(append([]byte(nil), "id: "...), id...), "\n\n"...), id
	}
	out = sse.AppendEvent(nil, sse.Event{ID: id, HasID: true, Event: string(b.Event), Data: string(b.Data), Retry: b.Retry, HasRetry: b.HasRetry})
	// The log must outlive the client: a draining stream logs after it left.
	logCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logTimeout)
	defer cancel()
	err := s.p.ReplayLog.Append(logCtx, m.id.key, store.LoggedEvent{Seq: m.id.seq, Frame: string(out), Cursor: m.id.cursor})
	if err != nil && !m.logErr {
		m.logErr = true
		s.p.Notice("stream " + s.id + ": the replay log failed (" + err.Error() + "); its events are forwarded but a client that resumes may miss some")
	}
	return out, id
}

// eventMint is what minting did to one event, shown on its observation.
type eventMint struct {
	id        string // the id the client got instead of the upstream's
	duplicate bool   // the upstream sent again an event the log replayed
}

// mintForward gives the event about to be forwarded (out) its minted id.
// observed tells that the event's observation is already in the outbox (the
// rules saw it first); it is then updated, else the observation made after
// forwarding picks s.minted up.
func (s *sseStream) mintForward(ctx context.Context, b *sse.Block, out []byte, changed, observed bool) ([]byte, bool) {
	framed, id := s.mintEvent(ctx, out)
	if id == "" {
		return out, changed
	}
	s.minted = eventMint{id: id, duplicate: b.HasID && s.mint.replayed[string(b.ID)]}
	if observed {
		if e := s.outbox.last(); e != nil && !e.published {
			s.minted.apply(e.o)
		}
	}
	return framed, true
}

// apply shows the minted id on an event's observation.
func (m eventMint) apply(o *Observation) {
	if m.id == "" || o == nil {
		return
	}
	o.MintedID = m.id
	if m.duplicate {
		o.Flags = append(o.Flags, "duplicate")
	}
}
