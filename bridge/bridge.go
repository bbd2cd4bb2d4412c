// Package bridge serves Streamable HTTP in front of a stdio MCP server:
// each session an HTTP client initializes gets a child process of its own,
// and every line between them goes through the engine (a proxy.Link), so
// the UI, pause and step, breakpoints, rules and recordings apply as they
// do to HTTP traffic.
//
// The child's stdout is read by one goroutine per session, which passes
// each line through the Link (it blocks there while the session is paused:
// the child's writes then block on the full pipe) and routes it: an answer
// to the POST waiting for its id; a progress notification to the POST
// whose request carries its token; anything else from the server
// (notifications, its requests such as sampling/createMessage) to the
// session's GET stream, else to a POST stream of the session, else to a
// queue bounded in bytes that the next GET stream empties. Hand-offs to
// the HTTP handlers are synchronous, so a client that reads slowly slows
// the child too. SSE events carry no ids: stdio has no resumption.
package bridge

import (
	"github.com/mcpscope/mcpscope/internal/hostguard"

	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
)

// Defaults for the zero values of Bridge's fields.
const (
	DefaultPath        = "/mcp"
	DefaultIdleTTL     = time.Hour
	DefaultStopGrace   = 2 * time.Second
	DefaultMaxQueue    = 1 << 20
	DefaultMaxLineSize = 64 << 20
	DefaultMaxSessions = 64
)

// Bridge is an http.Handler serving the Streamable HTTP transport at Path,
// one child process of Command per session. Configure it through its
// fields before the first request; Close ends every child.
type Bridge struct {
	// Proxy is the engine every line goes through, one Link per session;
	// its AllowedHosts and AllowedOrigins (the Host/Origin guard),
	// MaxBodySize, MaxBodyInflight and BodyTimeout apply to the bridge's
	// requests as to the proxy's (Proxy.ReadBody). Required.
	Proxy *proxy.Proxy

	// Command is the stdio server's command line, started once per
	// session. Required.
	Command []string

	// Name is what the sessions are called in the engine (the UI, the
	// recordings) and in error messages: the command line with its
	// credentials redacted (record.Redactor.CommandLine), which the
	// caller does. "" means Command joined with spaces.
	Name string

	// Path is where the bridge serves; "" means DefaultPath ("/mcp").
	// Other paths are 404.
	Path string

	// Stderr receives the children's stderr as they write it. nil
	// discards it; the last line of it still explains an exit.
	Stderr io.Writer

	// IdleTTL ends a session (its child stopped) idle this long: no
	// request in flight, the GET stream included. 0 means DefaultIdleTTL.
	IdleTTL time.Duration

	// StopGrace is how long a child is given to exit after its stdin is
	// closed, then again after SIGTERM, before SIGKILL. 0 means
	// DefaultStopGrace.
	StopGrace time.Duration

	// MaxQueue bounds, in bytes, the server messages a session keeps
	// while no stream is open to carry them; past it the oldest are
	// dropped (and a notice says how many). 0 means DefaultMaxQueue.
	MaxQueue int

	// MaxSessions bounds the sessions (so the child processes) at once;
	// an initialize past it gets an error. 0 means DefaultMaxSessions.
	MaxSessions int

	// MaxLineSize bounds a line read from a child's stdout; a longer one
	// is discarded, and the request it answers gets an error. 0 means
	// DefaultMaxLineSize.
	MaxLineSize int

	mu       sync.Mutex
	sessions map[string]*session
	starting int // sessions being started, counted against MaxSessions
	ended    endedSessions
	closed   bool
	janitor  sync.Once
	stopJan  chan struct{}
	janDone  chan struct{}
}

// ServeHTTP serves POST (messages to the server), GET (the session's
// stream of server messages) and DELETE (end the session) at Path.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := hostguard.Check(r, b.Proxy.AllowedHosts, b.Proxy.AllowedOrigins); err != nil {
		writeError(w, http.StatusForbidden, "", "mcpscope: "+err.Error())
		return
	}
	if r.URL.Path != b.path() {
		writeError(w, http.StatusNotFound, "", "mcpscope: the bridge serves MCP at "+b.path()+", not "+quote(r.URL.Path))
		return
	}
	switch r.Method {
	case http.MethodPost:
		b.post(w, r)
	case http.MethodGet:
		b.get(w, r)
	case http.MethodDelete:
		b.delete(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "", "mcpscope: method "+quote(r.Method)+" not allowed")
	}
}

// Close ends every session: each child's stdin is closed, then it is
// signalled if it does not exit (StopGrace), and reaped; each Link is
// closed. It returns once all are done. Requests after it are refused.
func (b *Bridge) Close() {
	b.janitor.Do(func() {}) // none starts after this one (a janitor starting is waited for)
	b.mu.Lock()
	b.closed = true
	all := make([]*session, 0, len(b.sessions))
	for _, s := range b.sessions {
		all = append(all, s)
	}
	stop := b.stopJan
	b.stopJan = nil // a second Close finds none to stop
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(func() { s.stop("mcpscope shut down") })
	}
	wg.Wait()
	if stop != nil {
		close(stop)
		<-b.janDone
	}
}

// delete ends the session the request names.
func (b *Bridge) delete(w http.ResponseWriter, r *http.Request) {
	s, ok := b.find(w, r)
	if !ok {
		return
	}
	s.stop("deleted by the client")
	w.WriteHeader(http.StatusNoContent)
}

// find returns the session the request's Mcp-Session-Id names, or answers
// 400 (none named) or 404 (unknown, or ended: saying how) and returns false.
func (b *Bridge) find(w http.ResponseWriter, r *http.Request) (*session, bool) {
	id := r.Header.Get(sessionHeader)
	if id == "" {
		writeError(w, http.StatusBadRequest, "", "mcpscope: no "+sessionHeader+" header: initialize a session first")
		return nil, false
	}
	b.mu.Lock()
	s := b.sessions[id]
	b.mu.Unlock()
	if s != nil {
		return s, true
	}
	if how, ok := b.ended.lookup(id); ok {
		writeError(w, http.StatusNotFound, "", "mcpscope: session "+quote(id)+" ended ("+how+"); initialize a new one")
	} else {
		writeError(w, http.StatusNotFound, "", "mcpscope: unknown session "+quote(id)+"; initialize a new one")
	}
	return nil, false
}

// open starts a child for a new session and registers it.
func (b *Bridge) open() (*session, error) {
	b.mu.Lock()
	closed, n := b.closed, len(b.sessions)+b.starting
	if !closed && n < b.maxSessions() {
		b.starting++
	}
	b.mu.Unlock()
	switch {
	case closed:
		return nil, errors.New("mcpscope is shutting down")
	case n >= b.maxSessions():
		return nil, fmt.Errorf("%s open, the most the bridge runs at once (each is a process); end one first", plural.Count(n, "session"))
	}
	defer func() {
		b.mu.Lock()
		b.starting--
		b.mu.Unlock()
	}()
	c, err := startChild(b.Command)
	if err != nil {
		return nil, fmt.Errorf("starting the server %s: %w", quote(b.name()), err)
	}
	id := newID()
	s := newSession(b, id, c)
	b.mu.Lock()
	if b.closed { // Close ran meanwhile and did not see it
		b.mu.Unlock()
		s.stop("mcpscope shut down")
		return nil, errors.New("mcpscope is shutting down")
	}
	if b.sessions == nil {
		b.sessions = make(map[string]*session)
	}
	b.sessions[id] = s
	b.mu.Unlock()
	b.janitor.Do(b.startJanitor)
	return s, nil
}

// forget removes an ended session, remembering how it ended for the 404
// of a later request naming it.
func (b *Bridge) forget(s *session, how string) {
	b.mu.Lock()
	if b.sessions[s.id] == s {
		delete(b.sessions, s.id)
	}
	b.mu.Unlock()
	b.ended.note(s.id, how)
}

// startJanitor starts the goroutine that ends idle sessions; Close stops it.
func (b *Bridge) startJanitor() {
	ttl := b.idleTTL()
	tick := min(max(ttl/4, 10*time.Millisecond), 30*time.Second)
	b.mu.Lock()
	b.stopJan, b.janDone = make(chan struct{}), make(chan struct{})
	stop, done := b.stopJan, b.janDone
	b.mu.Unlock()
	go func() {
		defer close(done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				b.expire(now, ttl)
			}
		}
	}()
}

// expire stops the sessions idle longer than ttl at now, in goroutines of
// their own (a stop takes up to twice StopGrace).
func (b *Bridge) expire(now time.Time, ttl time.Duration) {
	b.mu.Lock()
	var idle []*session
	for _, s := range b.sessions {
		if s.idleSince(now) > ttl {
			idle = append(idle, s)
		}
	}
	b.mu.Unlock()
	for _, s := range idle {
		go s.stop("expired: idle longer than " + ttl.String())
	}
}

func (b *Bridge) path() string {
	if b.Path == "" {
		return DefaultPath
	}
	return b.Path
}

func (b *Bridge) idleTTL() time.Duration {
	if b.IdleTTL <= 0 {
		return DefaultIdleTTL
	}
	return b.IdleTTL
}

func (b *Bridge) grace() time.Duration {
	if b.StopGrace <= 0 {
		return DefaultStopGrace
	}
	return b.StopGrace
}

func (b *Bridge) maxQueue() int {
	if b.MaxQueue <= 0 {
		return DefaultMaxQueue
	}
	return b.MaxQueue
}

func (b *Bridge) maxSessions() int {
	if b.MaxSessions <= 0 {
		return DefaultMaxSessions
	}
	return b.MaxSessions
}

func (b *Bridge) maxLine() int {
	if b.MaxLineSize <= 0 {
		return DefaultMaxLineSize
	}
	return b.MaxLineSize
}

// newID returns a random session id (128 bits): a client cannot guess
// another's.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// commandLine is argv as one line, for names and messages.
func commandLine(argv []string) string { return strings.Join(argv, " ") }

// name is Name, or Command joined.
func (b *Bridge) name() string {
	if b.Name != "" {
		return b.Name
	}
	return commandLine(b.Command)
}

// endedSessions remembers how the last maxEnded sessions ended.
type endedSessions struct {
	mu    sync.Mutex
	how   map[string]string
	order []string
}

const maxEnded = 1024

func (e *endedSessions) note(id, how string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.how == nil {
		e.how = make(map[string]string)
	}
	if len(e.order) == maxEnded {
		delete(e.how, e.order[0])
		e.order = e.order[1:]
	}
	e.order = append(e.order, id)
	e.how[id] = how
}

func (e *endedSessions) lookup(id string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	how, ok := e.how[id]
	return how, ok
}
