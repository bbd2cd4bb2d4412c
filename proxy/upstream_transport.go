package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A GET stream on a connection of its own. An MCP notification stream (the
// standalone GET, the legacy /sse) sits open for hours and mostly waits.
// Through http.Transport each one costs, besides its connection, the
// transport's read-loop and write-loop goroutines (4 KiB of stack each once
// they have read the headers and written the request) and its persistent
// connection state: a third of what an idle stream costs mcpscope. None of
// it is needed for a request that is written once and then only read, on a
// connection that is never reused. So a GET stream to a cleartext HTTP/1
// upstream is sent here: dialled with the transport's dialer, written with
// Request.Write, its headers read with http.ReadResponse under the
// transport's header timeout and header size limit, and its body read by
// the stream's own goroutine. Anything else (TLS upstreams, which may
// speak HTTP/2; a proxy between; a transport that is not an
// *http.Transport; every other request) goes through the transport as
// before. Measured by BenchmarkIdleStreamRSSProcess (docs/BENCHMARKS.md).

// maxInformational bounds the 1xx answers skipped before a stream's real
// response, as http.Transport does.
const maxInformational = 5

// streamTransport sends GET streams on connections of their own
// (ownConnection) and everything else through the *http.Transport.
type streamTransport struct{ *http.Transport }

func (t streamTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.ownConnection(req) {
		return t.Transport.RoundTrip(req)
	}
	return t.roundTripStream(req)
}

// ownConnection reports whether req is a GET stream that can go on a
// connection of its own: cleartext HTTP/1, no proxy, no body.
func (t streamTransport) ownConnection(req *http.Request) bool {
	if req.Method != http.MethodGet || req.URL.Scheme != "http" || req.Body != nil && req.Body != http.NoBody ||
		!strings.Contains(req.Header.Get("Accept"), "text/event-stream") {
		return false
	}
	if t.Protocols != nil && !t.Protocols.HTTP1() {
		return false
	}
	if t.Proxy != nil {
		if u, err := t.Proxy(req); err != nil || u != nil {
			return false
		}
	}
	return true
}

// roundTripStream dials, writes req and reads the response's headers. The
// response's body owns the connection: closing it, or req's context
// ending, closes the connection.
func (t streamTransport) roundTripStream(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	conn, err := t.dial(ctx, canonicalAddr(req))
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*http.Response, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	bw := bufio.NewWriterSize(conn, upstreamWriteBuffer)
	if err := req.Write(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	limited := &headerLimitReader{conn: conn, left: t.maxHeaderBytes()}
	br := bufio.NewReaderSize(limited, upstreamReadBuffer)
	if t.ResponseHeaderTimeout > 0 {
		conn.SetReadDeadline(time.Now().Add(t.ResponseHeaderTimeout))
	}
	resp, err := readFinalResponse(br, req)
	if err != nil {
		if isTimeout(err) {
			err = fmt.Errorf("timeout awaiting response headers: %w", err)
		} else if limited.left < 0 {
			err = &headersTooLargeError{limit: t.maxHeaderBytes()}
		}
		return fail(err)
	}
	conn.SetReadDeadline(time.Time{})
	limited.left = noHeaderLimit
	body := resp.Body
	if slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
		body = io.NopCloser(newDechunker(br)) // see upstream_dechunk.go
	}
	resp.Body = &streamBody{body: body, conn: conn, ctx: ctx, stop: stop}
	return resp, nil
}

// readFinalResponse reads the response to req from br, skipping up to
// maxInformational 1xx answers (but not 101, which is final).
func readFinalResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	for range maxInformational + 1 {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 100 || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
	}
	return nil, errors.New("malformed HTTP response: too many 1xx answers")
}

func (t streamTransport) dial(ctx context.Context, addr string) (net.Conn, error) {
	if t.DialContext != nil {
		return t.DialContext(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// maxHeaderBytes is the transport's limit on response headers, with
// http.Transport's default.
func (t streamTransport) maxHeaderBytes() int64 {
	if t.MaxResponseHeaderBytes > 0 {
		return t.MaxResponseHeaderBytes
	}
	return 10 << 20
}

// headersTooLargeError: the upstream's response headers passed the
// transport's limit.
type headersTooLargeError struct{ limit int64 }

func (e *headersTooLargeError) Error() string {
	return "response headers larger than " + strconv.FormatInt(e.limit, 10) + " bytes"
}

// canonicalAddr is req's host:port, the port defaulting to the scheme's.
func canonicalAddr(req *http.Request) string { return hostPort(req.URL) }

// hostPort is u's host:port, the port defaulting to 443 for https, else 80.
func hostPort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return net.JoinHostPort(u.Hostname(), port)
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// noHeaderLimit lifts headerLimitReader's limit once the headers are read.
const noHeaderLimit = 1 << 62

// headerLimitReader reads conn, failing once more than left bytes are
// read (left is then negative): the bound on response headers.
type headerLimitReader struct {
	conn net.Conn
	left int64
}

func (r *headerLimitReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		r.left = -1
		return 0, errors.New("response headers too large")
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.conn.Read(p)
	r.left -= int64(n)
	return n, err
}

// streamBody is a stream's response body: it reads what http.ReadResponse
// framed (chunked or to the close) and owns the connection. Close closes
// the connection, never drains the body (http.ReadResponse's Close would
// read a stream to its end). A read that fails because the request's
// context ended returns the context's cause, as http.Transport's does.
type streamBody struct {
	body      io.ReadCloser
	conn      net.Conn
	ctx       context.Context
	stop      func() bool
	closeOnce sync.Once
}

func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		err = context.Cause(b.ctx)
	}
	return n, err
}

func (b *streamBody) Close() error {
	b.closeOnce.Do(func() {
		b.stop()
		b.conn.Close()
	})
	return nil
}
