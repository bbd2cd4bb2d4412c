package checks

import (
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpscope/mcpscope/proxy"
)

// message checks one JSON-RPC message.
func (c *Checker) message(o *proxy.Observation, report func(*proxy.Observation)) {
	s := c.session(o.Session)
	if o.Kind == proxy.KindRequest && s.revision == "" && o.Method != "initialize" { // initialize asks in params; its result settles
		if v := metaRevision(o.Body); v != "" {
			s.revision = v // 2026-07-28 puts it on every request
		}
	}
	rev := c.revisionOf(o, s)
	c.replaying = o.Exchange != "" && c.replays[o.Exchange]
	c.noteExchange(o, rev)
	switch o.Kind {
	case proxy.KindRequest:
		c.request(o, s, rev, report)
	case proxy.KindNotification:
		c.notification(o, s, rev, report)
	case proxy.KindResult, proxy.KindError:
		c.answer(o, s, rev, report)
	}
}

// dirKey is the key of an id sent in direction d.
func dirKey(d proxy.Direction, id string) string {
	if d == proxy.ServerToClient {
		return "s" + id
	}
	return "c" + id
}

func opposite(d proxy.Direction) proxy.Direction {
	if d == proxy.ClientToServer {
		return proxy.ServerToClient
	}
	return proxy.ClientToServer
}

// request notes a request and checks its id, method and capability.
func (c *Checker) request(o *proxy.Observation, s *session, rev string, report func(*proxy.Observation)) {
	if strings.HasPrefix(o.Method, "notifications/") {
		c.report(contextOf(o, rev), RuleNotificationWithID, "notification "+shown(o.Method)+" carries id "+shown(string(o.ID)), report)
		return
	}
	if o.Direction == proxy.ServerToClient {
		c.serverRequest(o, s, rev, report)
	}
	k := dirKey(o.Direction, lookup(string(o.ID)))
	if c.adopt(lookup(o.Session), k) {
		s.used[key(k)] = struct{}{}
		return // its answer came first, within the grace
	}
	_, waiting := s.pending[k]
	_, used := s.used[k]
	if !o.Has("by_mcpscope") && !c.replaying && (waiting || used && !modern(rev)) {
		c.report(contextOf(o, rev), RuleDuplicateRequestID, shown(o.Method)+" reuses id "+shown(string(o.ID))+duplicateWhy(waiting), report)
	}
	if waiting {
		return // keep the first: its answer decides
	}
	if len(s.used) >= maxUsedIDs {
		evictOne(s.used)
	}
	k = key(k)
	s.used[k] = struct{}{}
	if c.pendingTotal >= maxPendingTotal {
		s.partial = true // past the bound a request is not tracked: its answer must not read as unknown
		return
	}
	p := &pending{owner: s, key: k, seq: o.Seq, method: strings.Clone(o.Method), at: o.Time, exchange: strings.Clone(o.Exchange)}
	if p.at.IsZero() {
		p.at = time.Now()
	}
	p.alive = p.at
	if strings.Contains(o.Body, `"progressToken"`) {
		if t := gjson.Get(o.Body, "params._meta.progressToken"); t.Exists() {
			p.token = key(t.Raw)
			s.setToken(p.token, &progress{active: true, req: p})
		}
	}
	p.paged = o.Method == "tools/list" && strings.Contains(o.Body, `"cursor"`)
	if o.Direction == proxy.ClientToServer && o.Method == "initialize" {
		p.caps = declared(o.Body)
	}
	s.pending[k] = p
	c.pendingTotal++
	if p.exchange != "" && o.Direction == proxy.ClientToServer {
		if len(c.exPending) >= maxExchanges {
			evictOne(c.exPending)
		}
		c.exPending[p.exchange] = p
	}
}

func duplicateWhy(waiting bool) string {
	if waiting {
		return ", the id of a request still waiting for its answer"
	}
	return ", already used in this session"
}

// declared returns the capabilities an initialize request declares.
func declared(body string) map[string]bool {
	caps := gjson.Get(body, "params.capabilities")
	m := map[string]bool{}
	for _, name := range []string{"sampling", "elicitation", "roots"} {
		m[name] = caps.Get(name).Exists()
	}
	return m
}

// capabilityOf is the client capability a server request needs.
var capabilityOf = map[string]string{"sampling/createMessage": "sampling", "elicitation/create": "elicitation", "roots/list": "roots"}

// serverRequest checks a request a server sends.
func (c *Checker) serverRequest(o *proxy.Observation, s *session, rev string, report func(*proxy.Observation)) {
	if modern(rev) {
		c.report(contextOf(o, rev), RuleServerRequest, "the server sent a "+shown(o.Method)+" request", report)
		return
	}
	need, ok := capabilityOf[o.Method]
	if ok && s.capsKnown && !s.caps[need] && RuleByID(RuleUndeclaredCapability).appliesTo(rev) {
		c.report(contextOf(o, rev), RuleUndeclaredCapability, "the server sent "+o.Method+" but the client's initialize did not declare "+need, report)
	}
}

// notification checks a notification: ids, cancellation, progress.
func (c *Checker) notification(o *proxy.Observation, s *session, rev string, report func(*proxy.Observation)) {
	if o.ID != "" {
		c.report(contextOf(o, rev), RuleNotificationWithID, "notification "+shown(o.Method)+" carries id "+shown(string(o.ID)), report)
	}
	switch o.Method {
	case "notifications/cancelled":
		id := gjson.Get(o.Body, "params.requestId")
		if !id.Exists() {
			return
		}
		if p := s.pending[dirKey(o.Direction, lookup(id.Raw))]; p != nil && p.cancelled.IsZero() {
			p.cancelled = o.Time
		}
	case "notifications/progress":
		c.progress(o, s, rev, report)
	}
}

// progress checks a progress notification's token and value. While no
// request of the session waits with a token and no more unknown tokens
// would be reported, it decodes nothing.
func (c *Checker) progress(o *proxy.Observation, s *session, rev string, report func(*proxy.Observation)) {
	if c.replaying || s.active == 0 && (s.partial || s.found[RuleProgressUnknownToken] >= maxPerRule) {
		return
	}
	token := gjson.Get(o.Body, "params.progressToken")
	if !token.Exists() {
		return
	}
	t := s.tokens[lookup(token.Raw)]
	switch {
	case t == nil:
		if !s.partial {
			c.report(contextOf(o, rev), RuleProgressUnknownToken, "progress for token "+shown(token.Raw)+", which no request offered", report)
			s.setToken(key(token.Raw), &progress{}) // reported once: its next notifications pass
		}
	case !t.active:
		// After its request's answer: observations of different streams may
		// cross, so this is not judged.
	default:
		value := gjson.Get(o.Body, "params.progress")
		if t.seen && value.Float() <= t.last {
			c.report(contextOf(o, rev), RuleProgressNotIncreased, "progress "+shown(value.Raw)+" for token "+shown(token.Raw)+" after "+strconv.FormatFloat(t.last, 'g', -1, 64), report)
			return
		}
		t.seen, t.last = true, value.Float()
		if t.req != nil && o.Time.After(t.req.alive) {
			t.req.alive = o.Time // a sign of life: the hung clock starts again
		}
	}
}

// answer matches a result or error to its request.
func (c *Checker) answer(o *proxy.Observation, s *session, rev string, report func(*proxy.Observation)) {
	if o.ID == "" || o.ID == "null" {
		return // an error about a request whose id could not be read
	}
	k := dirKey(opposite(o.Direction), lookup(string(o.ID)))
	p, ok := s.pending[k]
	if ex := c.exPending[o.Exchange]; !ok && o.Exchange != "" && ex != nil && ex.key == k {
		p, ok = ex, true // initialize: asked before its session had an id
	}
	if !ok {
		if c.replaying {
			return // redelivered on a resumed stream: seen before, perhaps
		}
		if _, used := s.used[k]; used && !s.partial {
			c.report(contextOf(o, rev), RuleAnswerUnknownID, "answer to id "+shown(string(o.ID))+": its request was answered already", report)
		} else if !s.partial {
			c.orphan(o, k, rev)
		}
		return
	}
	delete(p.owner.pending, k)
	c.pendingTotal--
	if p.exchange != "" && c.exPending[p.exchange] == p {
		delete(c.exPending, p.exchange)
	}
	if p.token != "" {
		if t := s.tokens[p.token]; t != nil {
			s.deactivate(t)
		}
	}
	if p.method == "initialize" {
		if v := c.initialized(o, s, p); v != "" {
			rev = v // the negotiated revision, whatever the request's _meta said
		}
	}
	if !p.cancelled.IsZero() && o.Time.Sub(p.cancelled) > c.grace {
		c.report(contextOf(o, rev), RuleResultAfterCancel, "answer to "+p.method+" id "+shown(string(o.ID))+" "+o.Time.Sub(p.cancelled).Round(time.Millisecond).String()+" after its cancellation", report)
	}
	if o.Kind == proxy.KindResult && o.Direction == proxy.ServerToClient {
		if modern(rev) && (!strings.Contains(o.Body, `"resultType"`) || !gjson.Get(o.Body, "result.resultType").Exists()) {
			c.report(contextOf(o, rev), RuleResultTypeMissing, "the result of "+p.method+" has no resultType", report)
		}
		if p.method == "tools/list" && !p.paged {
			c.toolList(o, s, rev, report)
		}
	}
}

// orphan keeps an answer whose request was not seen, for the grace.
func (c *Checker) orphan(o *proxy.Observation, k, rev string) {
	if len(c.orphans) >= maxOrphans {
		return
	}
	c.orphans = append(c.orphans, orphan{session: key(o.Session), key: key(k), about: contextOf(o, rev), at: o.Time})
}

// adopt reports whether an answer waits for the request with key k, and
// forgets it then.
func (c *Checker) adopt(session, k string) bool {
	for i, or := range c.orphans {
		if or.key == k && or.session == session {
			c.orphans = append(c.orphans[:i], c.orphans[i+1:]...)
			return true
		}
	}
	return false
}

// metaRevision returns the _meta protocol version a request states ("" if
// none), decoding only a body that names the key.
func metaRevision(body string) string {
	const k = "io.modelcontextprotocol/protocolVersion"
	if !strings.Contains(body, k) {
		return ""
	}
	v := gjson.Get(body, `params._meta.io\.modelcontextprotocol/protocolVersion`)
	if v.Type != gjson.String || !isRevision(v.String()) {
		return ""
	}
	return strings.Clone(v.String())
}

// initialized notes what an initialize result settles for its session
// (the one the exchange created, if it did): the negotiated revision and
// the capabilities the client declared.
func (c *Checker) initialized(o *proxy.Observation, s *session, p *pending) (negotiated string) {
	if id, ok := c.born[o.Exchange]; ok {
		delete(c.born, o.Exchange)
		s = c.session(id)
	}
	if v := gjson.Get(o.Body, "result.protocolVersion"); v.Type == gjson.String && isRevision(v.String()) {
		s.revision = strings.Clone(v.String())
	}
	if p.caps != nil {
		s.caps, s.capsKnown = p.caps, true
	}
	return s.revision
}
