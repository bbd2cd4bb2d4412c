package proxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Request bodies are read whole before anything goes upstream (see the
// package doc), so they are bounded three ways: each by MaxBodySize (413;
// a Content-Length above it is refused before a byte is read, a chunked
// body at the limit), all of them together by MaxBodyInflight (503 with
// Retry-After), and in time by BodyTimeout (408: a body that never
// finishes holds no handler forever). A refused request is never forwarded,
// and its connection is closed, since the rest of its body is not read.
const (
	DefaultMaxBodyInflight = 128 << 20
	DefaultBodyTimeout     = 30 * time.Second
	bodyRetryAfter         = "1" // seconds, on a 503 for the in-flight budget
	firstBodyChunk         = 4 << 10
)

// readBody reads the client's body within the bounds above. held is what
// it took of the in-flight budget, which the caller gives back (releaseBody)
// once the request is done with the body. On false the client has been
// answered and nothing is held.
func (p *Proxy) readBody(w http.ResponseWriter, r *http.Request) (body []byte, held int64, ok bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0, true
	}
	limit := p.MaxBodySize
	if limit <= 0 {
		limit = DefaultMaxBodySize
	}
	if r.ContentLength > limit {
		refuseBody(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("mcpscope: client request body of %d bytes exceeds %d (raise --max-body)", r.ContentLength, limit))
		return nil, 0, false
	}
	size := int64(firstBodyChunk)
	if r.ContentLength >= 0 {
		size = r.ContentLength + 1 // room to see the end without growing
	}
	if !p.takeBody(size, 0) {
		refuseBody(w, http.StatusServiceUnavailable, bodyRetryAfter, msgBodiesInFlight)
		return nil, 0, false
	}
	if timeout := p.bodyTimeout(); timeout > 0 {
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(timeout)) == nil {
			defer func() {
				if ok { // a refused body's connection stays unreadable (refuseBody)
					rc.SetReadDeadline(time.Time{})
				}
			}()
		}
	}
	body, held, err := p.readBodyWithin(r.Body, size, limit)
	if err == nil {
		return body, held, true
	}
	p.releaseBody(held)
	switch {
	case errors.Is(err, errBodyTooLarge):
		refuseBody(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("mcpscope: client request body exceeds %d bytes (raise --max-body)", limit))
	case errors.Is(err, errBodiesInFlight):
		refuseBody(w, http.StatusServiceUnavailable, bodyRetryAfter, msgBodiesInFlight)
	case isTimeout(err):
		refuseBody(w, http.StatusRequestTimeout, "", fmt.Sprintf("mcpscope: reading client request body: not finished after %v (raise --body-timeout)", p.bodyTimeout()))
	default:
		writeRPCError(w, http.StatusBadRequest, "", "mcpscope: reading client request body: "+err.Error())
	}
	return nil, 0, false
}

var (
	errBodyTooLarge   = errors.New("request body too large")
	errBodiesInFlight = errors.New("too many request bodies in flight")
)

const msgBodiesInFlight = "mcpscope: too many request bodies in flight (raise --max-body-inflight); retry shortly"

// readBodyWithin reads src whole into a buffer of size bytes (already
// taken from the budget), doubling it as needed, each growth taken from
// the budget too, up to limit+1 bytes: one more than limit is
// errBodyTooLarge. held is what the buffer took of the budget, on error
// too.
func (p *Proxy) readBodyWithin(src io.Reader, size, limit int64) (body []byte, held int64, err error) {
	body, held = make([]byte, 0, size), size
	for {
		if len(body) == cap(body) {
			if int64(len(body)) > limit {
				return nil, held, errBodyTooLarge
			}
			grown := min(2*int64(cap(body)), limit+1)
			if !p.takeBody(grown-held, held) {
				return nil, held, errBodiesInFlight
			}
			held, body = grown, append(make([]byte, 0, grown), body...)
		}
		n, err := src.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		switch {
		case err == io.EOF && int64(len(body)) > limit:
			return nil, held, errBodyTooLarge
		case err == io.EOF:
			return body, held, nil
		case err != nil:
			return nil, held, err
		}
	}
}

// takeBody takes n bytes of the in-flight budget for a body that holds
// mine already; false when that would pass MaxBodyInflight while other
// bodies are in flight (a body alone may always be read, up to
// MaxBodySize).
func (p *Proxy) takeBody(n, mine int64) bool {
	budget := p.MaxBodyInflight
	if budget <= 0 {
		budget = DefaultMaxBodyInflight
	}
	if total := p.bodies.Add(n); total > budget && total > mine+n {
		p.bodies.Add(-n)
		return false
	}
	return true
}

// releaseBody gives back what readBody took of the budget.
func (p *Proxy) releaseBody(held int64) {
	if held != 0 {
		p.bodies.Add(-held)
	}
}

func (p *Proxy) bodyTimeout() time.Duration {
	if p.BodyTimeout == 0 {
		return DefaultBodyTimeout
	}
	return p.BodyTimeout
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
