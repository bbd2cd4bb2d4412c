package proxy

import (
	"io"
	"mime"
	"net/http"
	"strconv"
)

// forwardResponse copies the upstream's status and headers to the client,
// then its body along the path its Content-Type calls for. The body is
// handed on unconsumed: the request is never sent again.
func (p *Proxy) forwardResponse(w http.ResponseWriter, r *http.Request, ex *exchange, resp *http.Response) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	removeHopHeaders(h)
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case mediaType == "text/event-stream" && r.Method != http.MethodHead:
		h.Del("Content-Length")
		closeDelimited := longLivedStream(r)
		if closeDelimited {
			h.Set("Transfer-Encoding", "identity") // net/http: no chunking, the connection closes after the stream
		}
		w.WriteHeader(resp.StatusCode)
		p.streamSSE(w, r, ex, resp, closeDelimited)
	case mediaType == "application/json" && r.Method != http.MethodHead:
		p.forwardJSON(w, r, ex, resp)
	default:
		w.WriteHeader(resp.StatusCode)
		p.pipe(w, resp.Body)
	}
}

// longLivedStream reports whether an SSE response to r goes out
// close-delimited rather than chunked: a GET stream (the standalone
// notification stream, the legacy /sse stream) on HTTP/1.1. Such a stream
// lives as long as its session, so its connection is rarely worth keeping
// after it, while chunking costs every event: net/http's 4 KiB connection
// buffer splits a large chunk into three writes (and the client's reads
// with them), where a close-delimited body is one write per read from the
// upstream. This is the framing the SSE specification recommended for
// event streams (net/http supports it for that reason). POST streams, one
// per call, stay chunked so their connections are reused.
func longLivedStream(r *http.Request) bool {
	return r.Method == http.MethodGet && r.ProtoMajor == 1 && r.ProtoMinor >= 1
}

// forwardJSON reads a JSON body (up to MaxJSONResponse), publishes its
// messages and forwards it. A larger body is forwarded unparsed.
func (p *Proxy) forwardJSON(w http.ResponseWriter, r *http.Request, ex *exchange, resp *http.Response) {
	limit := p.MaxJSONResponse
	if limit <= 0 {
		limit = DefaultMaxJSONResponse
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(body)) > limit {
		w.WriteHeader(resp.StatusCode)
		if _, werr := w.Write(body); werr == nil {
			p.pipe(w, resp.Body)
		}
		p.logger().Warn("JSON response too large to inspect; forwarded unparsed", "limit", limit, "session", ex.scope)
		return
	}
	if err != nil {
		// The upstream broke off mid-body: forward what came, which the
		// client will see as truncated, as it would have without us.
		p.logger().Warn("reading upstream JSON response", "err", err, "session", ex.scope)
	} else if len(body) > 0 && (p.bus().Active() || p.rules.Load() != nil) {
		text, _, _ := p.interceptBody(r.Context(), string(body), ex.scope, ex.id, ServerToClient)
		if text == "" { // every message dropped: the client hears nothing
			<-r.Context().Done()
			return
		}
		body = []byte(text)
	}
	if err == nil {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := w.Write(body); err != nil {
		p.logger().Debug("writing client JSON response", "err", err)
	}
}

// pipe copies a body the proxy does not interpret, flushing after every
// read so nothing waits in the proxy.
func (p *Proxy) pipe(w http.ResponseWriter, body io.Reader) {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			_ = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}
