package proxy

import (
	"net/http"
	"sync"
)

// maxEndedSessions bounds how many ended sessions the proxy remembers.
const maxEndedSessions = 4096

// endedSessions remembers how the most recent sessions ended (expired,
// closed), so that a request naming one later is told what happened to
// it rather than that it is unknown. It keeps the last maxEndedSessions.
type endedSessions struct {
	mu    sync.Mutex
	how   map[string]string
	order []string // ring of the ids in how, oldest at next once full
	next  int
}

// note remembers that session ended, and how.
func (e *endedSessions) note(session, how string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.how == nil {
		e.how = make(map[string]string)
	}
	if _, ok := e.how[session]; ok {
		e.how[session] = how
		return
	}
	if len(e.order) < maxEndedSessions {
		e.order = append(e.order, session)
	} else {
		delete(e.how, e.order[e.next])
		e.order[e.next] = session
		e.next = (e.next + 1) % maxEndedSessions
	}
	e.how[session] = how
}

// lookup returns how session ended, if it is remembered.
func (e *endedSessions) lookup(session string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	how, ok := e.how[session]
	return how, ok
}

// Ways a session ends, as the client's 404 and the session observation say.
const (
	sessionExpired = "expired (idle longer than the store keeps sessions)"
	sessionClosed  = "was closed (the client deleted it)"
	sessionLost    = "lost by the upstream (404) and not re-initialized"
)

// sessionNotFound answers 404 for a request naming proxyID, which the store
// does not have, saying what the proxy knows: that it expired (the proxy
// saw it alive — created it, or served it from a store another instance
// shares — or remembers its end), was closed, or is unknown to it (never
// seen alive here, or ended too long ago to remember). Only what the proxy
// knows is claimed.
func (p *Proxy) sessionNotFound(w http.ResponseWriter, ex *exchange, proxyID string) {
	how, ended := p.ended.lookup(proxyID)
	if !ended && p.gates.sessions.seenAlive(proxyID) {
		how, ended = sessionExpired, true
		p.ended.note(proxyID, how)
	}
	p.gates.forget(proxyID) // the request's touch must not leave an unknown id in the table
	if !ended {
		p.publishSession(proxyID, "", "unknown (never seen alive by this proxy, or ended too long ago to remember): answered 404 (the client should initialize again)")
		writeRPCError(w, http.StatusNotFound, ex.firstID, "mcpscope: unknown session "+quoteForMessage(proxyID)+": this proxy never saw it alive, or no longer remembers it; initialize a new one")
		return
	}
	p.publishSession(proxyID, "", how+": answered 404 (the client should initialize again)")
	writeRPCError(w, http.StatusNotFound, ex.firstID, "mcpscope: session "+quoteForMessage(proxyID)+" "+how+"; initialize a new one")
}
