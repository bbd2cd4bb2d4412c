package record

// Sessions in replay. A recording may hold several sessions, each with its
// own answers (one client's tools/list need not be another's). A live
// session is matched to a recorded one at its initialize: the first
// recorded session not yet claimed whose initialize has the same
// parameters, else the first not yet claimed, else (all claimed) the one
// claimed least often, in recorded order. The session id replay mints then
// names it, and the live session's requests take answers only from that
// recorded session, in recorded order for equal requests. Requests without
// a session id (sessionless servers) take answers from the whole recording.

// recordedSession is one session of a recording: the requests it answered.
type recordedSession struct {
	id        string
	initKey   string                         // the key of its initialize
	exchanges []*recordedExchange            // in recorded order
	byKey     map[string][]*recordedExchange // request key → exchanges, in recorded order
	gets      []*recordedExchange            // its standalone GET streams, in order
	claims    int                            // live sessions matched to it
}

// liveSession is a live client's session, and what it has taken from the
// recorded session matched to it.
type liveSession struct {
	rec     *recordedSession
	used    map[string]int // request key → answers given
	getsOut int            // standalone streams handed out
}

// maxLiveSessions bounds the live sessions replay remembers; the oldest
// is forgotten first (its requests then take from the whole recording).
const maxLiveSessions = 4096

// claim matches a live session starting with an initialize of key to a
// recorded session (nil when the recording has none). rp.mu is held.
func (rp *Replayer) claim(key string) *liveSession {
	var pick *recordedSession
	for _, rs := range rp.idx.sessions {
		if rs.claims == 0 && rs.initKey == key {
			pick = rs
			break
		}
	}
	for _, rs := range rp.idx.sessions {
		if pick == nil && rs.claims == 0 {
			pick = rs
		}
	}
	for _, rs := range rp.idx.sessions {
		if pick == nil || rs.claims < pick.claims {
			pick = rs
		}
	}
	if pick == nil {
		return nil
	}
	pick.claims++
	return &liveSession{rec: pick, used: map[string]int{}}
}

// bind names ls by the session id minted for it. rp.mu is held.
func (rp *Replayer) bind(id string, ls *liveSession) {
	if rp.live == nil {
		rp.live = map[string]*liveSession{}
	}
	if len(rp.liveOrder) >= maxLiveSessions {
		delete(rp.live, rp.liveOrder[0])
		rp.liveOrder = rp.liveOrder[1:]
	}
	rp.live[id] = ls
	rp.liveOrder = append(rp.liveOrder, id)
}

// takeFrom returns the next exchange of the recorded session answering
// key, and the recorded request it answers. rp.mu is held.
func (ls *liveSession) takeFrom(key string) (*recordedExchange, recordedMessage) {
	exs := ls.rec.byKey[key]
	if len(exs) == 0 {
		return nil, recordedMessage{}
	}
	n := ls.used[key]
	ls.used[key] = n + 1
	return answerOf(exs[min(n, len(exs)-1)], key)
}

// firstKey returns the key of the session's first request of method, or "".
func (rs *recordedSession) firstKey(method string) string {
	for _, ex := range rs.exchanges {
		for _, m := range ex.requests {
			if m.method == method && m.key != "" {
				return m.key
			}
		}
	}
	return ""
}
