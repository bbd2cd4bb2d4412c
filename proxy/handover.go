package proxy

import (
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/debug"
)

// Handing a long-lived GET stream over. An open MCP notification stream
// mostly waits, and while it waits net/http holds, per stream, the
// client's connection buffers (4 KiB read, 4 KiB write, the response's
// 2 KiB chunking buffer), the goroutine serving the connection (its stack
// grown to 8 KiB by the handler's depth) and the server's background read
// goroutine. A close-delimited stream (longLivedStream) needs none of it
// once its headers are out: its body is written to the connection as is.
// So the stream takes the connection (Hijack), the handler returns, and a
// goroutine of its own, with a shallow stack, runs the stream, writing to
// the connection directly. The client leaving, which the server's
// background read noticed, is noticed by probing (handover_conns.go). Measured
// by BenchmarkIdleStreamRSSProcess (docs/BENCHMARKS.md, "Memory bounds").

// handOver takes the client's connection and runs the rest of the stream
// (serve) in a goroutine of its own. It returns false, having changed
// nothing, where the request's context cannot outlive the handler or the
// connection cannot be taken (HTTP/2, a ResponseWriter that cannot
// hijack): the stream then runs in the handler. The headers must have been
// flushed.
func (s *sseStream) handOver(ex *exchange, body io.ReadCloser) bool {
	ctx := ex.streamCtx
	if ctx == nil || ex.followClient == nil {
		return false
	}
	conn, _, err := s.rc.Hijack() // what the client sent after its request is dropped with the server's buffers: it closes after this response
	if err != nil {
		return false
	}
	ex.followClient()                        // false when the client left already: ctx has ended
	end, resume := ex.endUpstream, ex.resume // the goroutine keeps no more of the exchange: it is garbage once published
	ex.endUpstream, ex.handedOff = nil, true
	s.w.w, s.rc, s.conn = conn, nil, conn
	s.client = s.client.WithContext(connIDOnly(s.client.Context())) // the server's context, and what hangs on it, go with the handler
	s.p.clientConns.add(conn, s.session, end)
	go func() {
		defer s.p.serving.Add(-1)
		defer s.p.clientConns.remove(conn)
		if n, ok := s.client.Context().Value(connIDKey{}).(uint64); ok {
			defer s.p.endConnScope(n) // the server no longer tracks the connection (connState)
		}
		defer conn.Close()
		defer end()
		defer body.Close()
		defer s.p.recoverStream(conn)
		s.serve(ctx, resume, body)
	}()
	return true
}

// recoverStream, deferred in a stream handed over, does for its panic what
// net/http does for a handler's: the panic is logged with its stack (but
// http.ErrAbortHandler, a quiet abort, is not), the client's connection is
// reset, and the stream's other deferred cleanup runs. The proxy serves on.
func (p *Proxy) recoverStream(conn net.Conn) {
	v := recover()
	if v == nil {
		return
	}
	if err, ok := v.(error); !ok || !errors.Is(err, http.ErrAbortHandler) {
		p.logger().Error("panic serving a stream handed over", "remote", conn.RemoteAddr().String(), "panic", v, "stack", string(debug.Stack()))
	}
	resetConn(conn)
}

// writeFailed tells why the stream ends after writing to the client
// failed with err: a stream handed over whose client is gone ends as
// "client disconnected", as one in the handler does when the server
// notices first.
func (s *sseStream) writeFailed(err error) string {
	if s.conn != nil && !probeClient(s.conn) {
		return "client disconnected"
	}
	return "writing client: " + err.Error()
}
