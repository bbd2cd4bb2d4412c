package proxy

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Sessionless traffic. A request without a session (no Mcp-Session-Id:
// the 2026-07-28 revision's sessionless requests, server/discover, and the
// initialize that asks for a session) is scoped to its client connection,
// "conn-N" (requestScope), which the session table lists like a session.
// Two things keep those rows honest:
//
//   - an initialize that creates a session counts for that session, not for
//     its connection (unscopeInitialize): the connection's row goes when the
//     initialize was all it carried;
//   - a connection's row ends when the client closes the connection
//     (NewServer's ConnState hook): the table forgets it and a session
//     observation says "sessionless traffic ended: client connection
//     closed".

// connScopePrefix starts the scope of sessionless traffic.
const connScopePrefix = "conn-"

// IsSessionless reports whether a session id is the scope of sessionless
// traffic on one client connection ("conn-N"), not a session an MCP
// server issued.
func IsSessionless(session string) bool { return strings.HasPrefix(session, connScopePrefix) }

// SessionlessEnded is the reason of the session observation published
// when the client connection of sessionless traffic closes.
const SessionlessEnded = "sessionless traffic ended: client connection closed"

// EndsSession reports whether o says its session ended: the client
// deleted it, the proxy answered 404 for it (expired or closed), the
// upstream lost it and re-initializing it failed (a later request may
// re-initialize it: "re-initialized on" says it lives again), its stdio
// server or client went, or the client connection of sessionless traffic
// closed. Recordings and exports read it too.
func (o *Observation) EndsSession() bool {
	if o.Type != TypeSession {
		return false
	}
	r := o.Reason
	return r == "closed" || r == SessionlessEnded || strings.HasPrefix(r, "stdio session ended") ||
		strings.HasPrefix(r, sessionExpired) || strings.HasPrefix(r, sessionClosed) || strings.HasPrefix(r, sessionLost)
}

// unscopeInitialize moves the request an exchange counted for its
// connection (scope) to the session its answer created: the connection's
// row goes if that was all it carried and the gates hold nothing of it.
func (p *Proxy) unscopeInitialize(scope string) {
	if IsSessionless(scope) {
		p.gates.sessions.untouch(scope, p.gates.held)
	}
}

// connNumbers maps the server's connections to their numbers
// (ConnContext), for ending their sessionless scopes when they close.
type connNumbers struct {
	mu sync.Mutex
	m  map[net.Conn]uint64
}

// numberConn is NewServer's ConnContext: ConnContext, remembering the
// number for connClosed.
func (p *Proxy) numberConn(ctx context.Context, c net.Conn) context.Context {
	ctx = p.ConnContext(ctx, c)
	n, _ := ctx.Value(connIDKey{}).(uint64)
	p.conns.mu.Lock()
	if p.conns.m == nil {
		p.conns.m = make(map[net.Conn]uint64)
	}
	p.conns.m[c] = n
	p.conns.mu.Unlock()
	return ctx
}

// connState is NewServer's ConnState: a closed connection ends its
// sessionless scope, if the table knows it. A hijacked one is forgotten
// here: a stream handed over (handover.go) has it, and ends the scope when
// it closes the connection (endConnScope).
func (p *Proxy) connState(c net.Conn, state http.ConnState) {
	if state != http.StateClosed && state != http.StateHijacked {
		return
	}
	p.conns.mu.Lock()
	n, ok := p.conns.m[c]
	delete(p.conns.m, c)
	p.conns.mu.Unlock()
	if ok && state == http.StateClosed {
		p.endConnScope(n)
	}
}

// endConnScope ends the sessionless scope of client connection n, if the
// table knows it: forgotten, with its pause, and said ended.
func (p *Proxy) endConnScope(n uint64) {
	scope := connScopePrefix + strconv.FormatUint(n, 10)
	if p.gates.sessions.forgetIfKnown(scope) {
		p.gates.forget(scope) // and its pause
		p.publishSession(scope, "", SessionlessEnded)
	}
}
