package proxy

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"
)

// Request bodies are read whole before anything goes upstream (see the
// package doc), so they are bounded three ways: each by MaxBodySize (413;
// a Content-Length above it is refused before a byte is read, a chunked
// body at the limit), all of them together by MaxBodyInflight (503 with
// Retry-After), and in time by BodyTimeout (408: a body that stops
// arriving holds no handler forever; see bodyDeadline). A refused request
// is never forwarded, and its connection is closed, since the rest of its
// body is not read. A body's buffer, and its share of the budget, grows as
// its bytes arrive, whatever its Content-Length announces.
const (
	DefaultMaxBodyInflight = 128 << 20
	DefaultBodyTimeout     = 30 * time.Second
	bodyRetryAfter         = "1"      // seconds, on a 503 for the in-flight budget
	firstBodyChunk         = 4 << 10  // the first buffer of a chunked body
	firstSizedBodyChunk    = 64 << 10 // at most, the first buffer of a body with a Content-Length
)

// readBody reads the client's body within the bounds above. What it takes
// of the in-flight budget is added to *held as it is taken, so the caller,
// which gives *held back (releaseBody) once the request is done with the
// body, gives back all of it even if something panics on the way. On false
// the client has been answered and *held is 0.
func (p *Proxy) readBody(w http.ResponseWriter, r *http.Request, held *int64) (body []byte, ok bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	limit := p.MaxBodySize
	if limit <= 0 {
		limit = DefaultMaxBodySize
	}
	if r.ContentLength > limit {
		refuseBody(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("mcpscope: client request body of %d bytes exceeds %d (raise --max-body)", r.ContentLength, limit))
		return nil, false
	}
	most := plusOne(limit) // room to see the end without growing
	size := int64(firstBodyChunk)
	if r.ContentLength >= 0 {
		most = plusOne(r.ContentLength)
		size = min(most, firstSizedBodyChunk)
	}
	if !p.takeBody(size, held) {
		refuseBody(w, http.StatusServiceUnavailable, bodyRetryAfter, msgBodiesInFlight)
		return nil, false
	}
	src := io.Reader(r.Body)
	deadline := p.bodyDeadline(w)
	if deadline != nil {
		src = deadline.reader(r.Body)
		defer func() {
			if ok { // a refused body's connection stays unreadable (refuseBody)
				deadline.clear()
			}
		}()
	}
	body, err := p.readBodyWithin(src, size, most, limit, held)
	if err == nil {
		return body, true
	}
	p.releaseBody(held)
	switch {
	case errors.Is(err, errBodyTooLarge):
		refuseBody(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("mcpscope: client request body exceeds %d bytes (raise --max-body)", limit))
	case errors.Is(err, errBodiesInFlight):
		refuseBody(w, http.StatusServiceUnavailable, bodyRetryAfter, msgBodiesInFlight)
	case isTimeout(err) && deadline != nil:
		refuseBody(w, http.StatusRequestTimeout, "", "mcpscope: reading client request body: "+deadline.explain())
	default:
		writeRPCError(w, http.StatusBadRequest, "", "mcpscope: reading client request body: "+err.Error())
	}
	return nil, false
}

// ReadBody reads the body of a request served outside the proxy (the stdio
// bridge) within the proxy's bounds: MaxBodySize, MaxBodyInflight and
// BodyTimeout, refusing as readBody does. On false the client has been
// answered. release gives the body's share of the in-flight budget back:
// call it once the body is forwarded (it may be called more than once).
func (p *Proxy) ReadBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), ok bool) {
	held := new(int64)
	body, ok = p.readBody(w, r, held)
	return body, func() { p.releaseBody(held) }, ok
}

var (
	errBodyTooLarge   = errors.New("request body too large")
	errBodiesInFlight = errors.New("too many request bodies in flight")
)

const msgBodiesInFlight = "mcpscope: too many request bodies in flight (raise --max-body-inflight); retry shortly"

// plusOne is n+1, or n at math.MaxInt64.
func plusOne(n int64) int64 {
	if n == math.MaxInt64 {
		return n
	}
	return n + 1
}

// readBodyWithin reads src whole into a buffer of size bytes (already
// taken from the budget into *held), doubling it as bytes arrive, up to
// most bytes, each growth taken from the budget too. A body of more than
// limit bytes is errBodyTooLarge.
func (p *Proxy) readBodyWithin(src io.Reader, size, most, limit int64, held *int64) (body []byte, err error) {
	body = make([]byte, 0, size)
	for {
		if len(body) == cap(body) {
			if int64(len(body)) > limit || int64(len(body)) >= most {
				return nil, errBodyTooLarge
			}
			grown := min(2*int64(cap(body)), most)
			if !p.takeBody(grown-int64(cap(body)), held) {
				return nil, errBodiesInFlight
			}
			body = append(make([]byte, 0, grown), body...)
		}
		n, err := src.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		switch {
		case err == io.EOF && int64(len(body)) > limit:
			return nil, errBodyTooLarge
		case err == io.EOF:
			return body, nil
		case err != nil:
			return nil, err
		}
	}
}

// takeBody takes n bytes of the in-flight budget for a body that holds
// *held already, and adds them to *held; false (taking nothing) when that
// would pass MaxBodyInflight while other bodies are in flight (a body alone
// may always be read, up to MaxBodySize).
func (p *Proxy) takeBody(n int64, held *int64) bool {
	budget := p.MaxBodyInflight
	if budget <= 0 {
		budget = DefaultMaxBodyInflight
	}
	if total := p.bodies.Add(n); total > budget && total > *held+n {
		p.bodies.Add(-n)
		return false
	}
	*held += n
	return true
}

// releaseBody gives back what readBody took of the budget into *held, and
// zeroes it.
func (p *Proxy) releaseBody(held *int64) {
	if *held != 0 {
		p.bodies.Add(-*held)
		*held = 0
	}
}

// refuseBody answers a request whose body the proxy stops reading, and
// closes its connection (the rest of the body is not read); retryAfter is
// the Retry-After header, if any.
func refuseBody(w http.ResponseWriter, status int, retryAfter, message string) {
	// net/http would read what is left of a small body before it closes
	// the connection; a client that stopped sending would hold it there.
	http.NewResponseController(w).SetReadDeadline(time.Now())
	w.Header().Set("Connection", "close")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeRPCError(w, status, "", message)
}

// BodiesHeld returns the bytes of the in-flight budget (MaxBodyInflight)
// that request bodies hold now, across every transport that reads bodies
// through ReadBody.
func (p *Proxy) BodiesHeld() int64 { return p.bodies.Load() }
