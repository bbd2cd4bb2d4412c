package proxy

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// forwardResponse copies the upstream's status and headers to the client,
// then its body along the path its Content-Type calls for. The body is
// handed on unconsumed: the request is never sent again.
func (p *Proxy) forwardResponse(w http.ResponseWriter, r *http.Request, ex *exchange, resp *http.Response) {
	p.oauthChallenge(r, ex, resp) // oauth.go
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	removeHopHeaders(h)
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case mediaType == "text/event-stream" && r.Method != http.MethodHead:
		h.Del("Content-Length")
		if longLivedStream(r) {
			h.Set("Transfer-Encoding", "identity") // net/http: no chunking, the connection closes after the stream
		}
		w.WriteHeader(resp.StatusCode)
		p.streamSSE(w, r, ex, resp, closeDelimited(r, h))
	case mediaType == "application/json" && p.isResourceMetadata(r, resp):
		p.forwardMetadata(w, r, ex, resp) // oauth.go: not JSON-RPC; its resource rewritten
	case mediaType == "application/json" && r.Method != http.MethodHead:
		p.forwardJSON(w, r, ex, resp)
	default:
		w.WriteHeader(resp.StatusCode)
		p.pipeOrBreak(w, r, ex, resp.Body)
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
		// Too large to inspect: forwarded unparsed, and told (flagged
		// "oversized", with its size) once it is through.
		w.WriteHeader(resp.StatusCode)
		var n int64
		if _, werr := w.Write(body); werr == nil {
			n, err = p.pipe(w, resp.Body)
		}
		size := int64(len(body)) + n
		p.publishOversized(ex, body, size)
		p.logger().Warn("JSON response too large to inspect; forwarded unparsed", "limit", limit, "bytes", size, "session", ex.scope)
		if upstreamBroke(r.Context(), err) {
			p.breakResponse(w, r, ex, size, err)
		}
		return
	}
	if upstreamBroke(r.Context(), err) {
		// The upstream broke off mid-body: the client gets what came, then
		// a broken response, as it would have without us.
		w.WriteHeader(resp.StatusCode)
		if _, werr := w.Write(body); werr == nil {
			_ = http.NewResponseController(w).Flush()
		}
		p.breakResponse(w, r, ex, int64(len(body)), err)
	}
	if err == nil && ex.http.NewSession != "" && ex.session != nil {
		p.noteNegotiated(r.Context(), ex.session, string(body)) // session_version.go
	}
	if err != nil {
		p.logger().Debug("reading upstream JSON response", "err", err, "session", ex.scope)
	} else if len(body) > 0 && (p.bus().Active() || p.rules.Load() != nil) {
		text, _, _ := p.interceptBody(r.Context(), string(body), place{scope: ex.scope, exchange: ex.id, revision: ex.revision}, ServerToClient)
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

// pipeOrBreak pipes body to the client and breaks the client's response
// if the upstream's broke.
func (p *Proxy) pipeOrBreak(w http.ResponseWriter, r *http.Request, ex *exchange, body io.Reader) {
	n, err := p.pipe(w, body)
	if upstreamBroke(r.Context(), err) {
		p.breakResponse(w, r, ex, n, err)
	}
}

// pipe copies a body the proxy does not interpret, flushing after every
// read so nothing waits in the proxy. It returns the bytes written and the
// error that ended the upstream's body (nil at its clean end, or when
// writing to the client failed).
func (p *Proxy) pipe(w http.ResponseWriter, body io.Reader) (int64, error) {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	var written int64
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return written, nil
			}
			written += int64(n)
			_ = rc.Flush()
		}
		if err == io.EOF {
			return written, nil
		}
		if err != nil {
			return written, err
		}
	}
}

// FlagUpstreamBroke marks a stream_closed observation (or a notice) whose
// upstream body broke off (a reset, a chunked encoding cut short) rather
// than ended; the client's response was broken the same way.
const FlagUpstreamBroke = "upstream_broke"

// upstreamBroke reports whether err, which ended a read of the upstream's
// body, means the body broke off rather than ended: not its clean end, and
// not the proxy or the client ending the request.
func upstreamBroke(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// breakResponse tells, flagged, that the upstream broke off the answer to
// ex after n bytes, and breaks the client's response the same way (no
// terminating chunk, a short body, or a reset connection: abortResponse),
// so the client sees a broken response, not a truncated clean one. It
// does not return.
func (p *Proxy) breakResponse(w http.ResponseWriter, r *http.Request, ex *exchange, n int64, err error) {
	if p.bus().Active() {
		p.bus().Publish(&Observation{Type: TypeNotice, Session: ex.scope, Exchange: ex.id, Flags: []string{FlagUpstreamBroke},
			Reason: "upstream broke off its answer to " + ex.id + " after " + strconv.FormatInt(n, 10) + " bytes: " + err.Error() + "; the client's response was broken too"})
	}
	abortResponse(http.NewResponseController(w), closeDelimited(r, w.Header()))
}
