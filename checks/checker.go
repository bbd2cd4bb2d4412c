package checks

import (
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// DefaultHungAfter is how long a request may wait for its answer, with no
// progress notification for it either, before it is reported hung, unless
// Options say otherwise. It is the stats view's bound (stats.Options), so
// that a call the stats view shows hung is the one the checks report.
const DefaultHungAfter = 10 * time.Second

// DefaultGrace is how long an answer may come before its request is seen,
// or after a cancellation, without a finding: observations of different
// streams are published by different goroutines, and an answer already on
// its way when the cancellation was sent is no fault.
const DefaultGrace = time.Second

// Options configure a Checker. The zero value checks with the defaults.
type Options struct {
	HungAfter time.Duration // DefaultHungAfter if 0; negative: no hung check
	Grace     time.Duration // DefaultGrace if 0
}

// Checker checks a stream of observations. It is not safe for concurrent
// use. Report functions get finding observations (Type TypeFinding, Flags
// [FlagFinding]) that are theirs to keep.
type Checker struct {
	hungAfter, grace time.Duration
	sessions         map[string]*session
	pendingTotal     int
	exchanges        map[string]*exchange
	revisions        map[string]string // exchange → the revision its http observation named
	streams          map[string]*stream
	orphans          []orphan
	toolListBytes    int                 // bytes of the sessions' kept tools/list results
	born             map[string]string   // exchange → the session its initialize created (until its result)
	replays          map[string]bool     // exchanges that resume a stream (Last-Event-ID): what they carry may be redelivered
	replaying        bool                // the message being checked is on such an exchange
	exPending        map[string]*pending // exchange → its request (2026-07-28: a closed stream cancels it)
	ended            map[string]bool     // sessions closed, expired or ended: what still comes of them is late (bounded by maxSessions)
}

// New returns a Checker.
func New(o Options) *Checker {
	c := &Checker{hungAfter: o.HungAfter, grace: o.Grace, sessions: map[string]*session{},
		exchanges: map[string]*exchange{}, revisions: map[string]string{}, streams: map[string]*stream{}, exPending: map[string]*pending{}, born: map[string]string{}, replays: map[string]bool{}, ended: map[string]bool{}}
	if c.hungAfter == 0 {
		c.hungAfter = DefaultHungAfter
	}
	if c.grace <= 0 {
		c.grace = DefaultGrace
	}
	return c
}

// Observe checks one observation. Findings (of a recording being checked
// again) are ignored; a dropped notice makes the checker forget what it
// waits for (Lost).
func (c *Checker) Observe(o *proxy.Observation, report func(*proxy.Observation)) {
	switch o.Type {
	case proxy.TypeFinding:
		return
	case proxy.TypeDropped:
		c.Lost()
		return
	case proxy.TypeHTTP:
		if o.HTTP != nil {
			c.http(o, report)
		}
		return
	case proxy.TypeStreamClosed:
		c.streamClosed(o)
		return
	case proxy.TypeSession:
		if o.Reason == "closed" || o.Reason == "expired" || strings.HasPrefix(o.Reason, "stdio session ended") {
			c.forget(o.Session)
			if len(c.ended) >= maxSessions {
				evictOne(c.ended)
			}
			c.ended[key(o.Session)] = true
		}
		return
	}
	if o.Session != "" && c.ended[lookup(o.Session)] {
		// Observed after its session ended: an event of another stream
		// (the GET stream's, say) that the proxy read late, under load.
		// Its session's state is gone, so it is not judged.
		return
	}
	if o.Type == proxy.TypeSSEEvent {
		c.sseEvent(o, report)
	}
	if o.Kind != "" && (o.Type == proxy.TypeMessage || o.Type == proxy.TypeSSEEvent) {
		c.message(o, report)
	}
}

// Tick judges at now what waits on time: answers whose request never
// came within the grace, requests unanswered past HungAfter (each
// reported once).
func (c *Checker) Tick(now time.Time, report func(*proxy.Observation)) {
	if len(c.orphans) > 0 {
		kept := c.orphans[:0]
		for _, or := range c.orphans {
			if now.Sub(or.at) < c.grace {
				kept = append(kept, or)
				continue
			}
			c.report(or.about, RuleAnswerUnknownID, "answer to id "+shown(or.about.id)+": no request with that id was sent", report)
		}
		c.orphans = kept
	}
	if c.hungAfter < 0 {
		return
	}
	for _, s := range c.sessions {
		for _, p := range s.pending {
			if p.hung || !p.cancelled.IsZero() || now.Sub(p.alive) < c.hungAfter || p.method == "subscriptions/listen" {
				continue
			}
			p.hung = true
			msg := p.method + " unanswered after " + now.Sub(p.at).Round(time.Millisecond).String()
			if p.alive != p.at {
				msg += ", no progress for " + now.Sub(p.alive).Round(time.Millisecond).String()
			}
			c.report(findingContext{seq: p.seq, session: s.id, method: p.method, revision: s.revision, at: now}, RuleHung, msg, report)
		}
	}
}

// Finish is Tick at the end of a recording: what still waits is judged
// as if now were the recording's last moment plus the grace, so an
// answer whose request never came is reported.
func (c *Checker) Finish(last time.Time, report func(*proxy.Observation)) {
	for i := range c.orphans {
		c.orphans[i].at = last.Add(-c.grace)
	}
	c.Tick(last, report)
}

// Lost tells the checker observations were missed (a subscriber that fell
// behind): what it waits for is forgotten, and the sessions it knows are
// no longer checked for answers or progress without their request (they
// may have been among the missed).
func (c *Checker) Lost() {
	for _, s := range c.sessions {
		s.partial = true
		s.pending = map[string]*pending{}
		for _, t := range s.tokens {
			s.deactivate(t)
		}
	}
	c.pendingTotal = 0
	c.orphans = nil
	clear(c.exPending)
}

// forget drops a session's state.
func (c *Checker) forget(id string) {
	if s, ok := c.sessions[id]; ok {
		c.pendingTotal -= len(s.pending)
		c.toolListBytes -= len(s.toolList)
		delete(c.sessions, id)
	}
}

// session returns the state of the session id, made if new.
func (c *Checker) session(id string) *session {
	s, ok := c.sessions[lookup(id)]
	if !ok {
		if len(c.sessions) >= maxSessions {
			for k := range c.sessions {
				c.forget(k)
				break
			}
		}
		k := key(id)
		s = newSession(k)
		c.sessions[k] = s
	}
	return s
}

// revisionOf returns the revision o is checked against: its exchange's,
// else its session's.
func (c *Checker) revisionOf(o *proxy.Observation, s *session) string {
	if o.Exchange != "" {
		if r := c.revisions[o.Exchange]; r != "" {
			return r
		}
	}
	return s.revision
}

// findingContext is what a finding copies from the observation it is
// about, so that it can be filtered and shown like it.
type findingContext struct {
	seq                       uint64
	at                        time.Time
	session, stream, exchange string
	direction                 proxy.Direction
	method, id, revision      string
}

func contextOf(o *proxy.Observation, rev string) findingContext {
	return findingContext{seq: o.Seq, at: o.Time, session: strings.Clone(o.Session), stream: strings.Clone(o.Stream),
		exchange: strings.Clone(o.Exchange), direction: o.Direction, method: shown(o.Method), id: shown(string(o.ID)), revision: rev}
}

// report makes a finding of the rule about an observation.
func (c *Checker) report(about findingContext, ruleID, msg string, report func(*proxy.Observation)) {
	if s, ok := c.sessions[lookup(about.session)]; ok {
		if s.found[ruleID] >= maxPerRule {
			return
		}
		s.found[ruleID]++
	}
	r := RuleByID(ruleID)
	section, url := r.Cite(about.revision)
	rev := about.revision
	if !isRevision(rev) {
		rev = ""
	}
	report(&proxy.Observation{Type: proxy.TypeFinding, Time: about.at, Session: about.session, Stream: about.stream,
		Exchange: about.exchange, Direction: about.direction, Method: strings.Clone(about.method), ID: proxy.RawJSON(strings.Clone(about.id)),
		Flags:   []string{proxy.FlagFinding},
		Finding: &proxy.Finding{Rule: r.ID, Level: r.Level, Revision: rev, Section: section, URL: url, Message: msg, About: about.seq}})
}
