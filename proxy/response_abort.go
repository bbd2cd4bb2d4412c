package proxy

import (
	"net"
	"net/http"
)

// closeDelimited reports whether the response to r, whose headers are h,
// ends at the connection's close rather than by its framing: HTTP/1.x
// without a Content-Length and without chunking, which is an HTTP/1.0
// client's, or a stream sent with Transfer-Encoding: identity
// (longLivedStream).
func closeDelimited(r *http.Request, h http.Header) bool {
	if r.ProtoMajor != 1 || h.Get("Content-Length") != "" {
		return false
	}
	return !r.ProtoAtLeast(1, 1) || h.Get("Transfer-Encoding") == "identity"
}

// abortResponse ends a response under way so that the client sees it
// break, not end. A chunked body that stops without its last chunk, or a
// body shorter than its Content-Length, is broken already (net/http's
// abort); a close-delimited body would end cleanly at the close, so its
// connection is reset instead (what was written is flushed first). Over
// HTTP/2 the abort resets the stream. It does not return.
func abortResponse(rc *http.ResponseController, closeDelimited bool) {
	if closeDelimited {
		_ = rc.Flush()
		if conn, _, err := rc.Hijack(); err == nil {
			resetConn(conn)
		}
	}
	panic(http.ErrAbortHandler)
}

// resetConn closes conn with a reset where it is TCP.
func resetConn(conn net.Conn) {
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0) // close with a reset
	}
	conn.Close()
}
