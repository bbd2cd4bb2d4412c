package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// The upstream is a byte-level Streamable HTTP server on /mcp, in a
// process of its own (this program started again with roleEnv=upstream):
//
//   - POST initialize: a JSON result and an Mcp-Session-Id;
//   - POST tools/call: a short SSE stream of postEvents events of 256 B,
//     the last the call's result;
//   - GET ?size=N: SSE events of N bytes as fast as the reader takes them;
//   - GET ?size=N&every=D: one event of N bytes every D.
//
// Every streamed event carries its send time ("ts":<unix ns>, taken just
// before its Write, near the start of its data line) so the client can
// tell how long it took to arrive. One Write and one Flush per event.

const postEvents = 50 // per tools/call stream: 49 progress notifications, then the result

// serveUpstream serves the upstream on a loopback port, says where on
// stdout ("listening on http://ADDR") and serves until stdin closes.
func serveUpstream() int {
	return serveUntilStdinCloses(http.HandlerFunc(upstream))
}

func upstream(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if bytes.Contains(body, []byte(`"method":"initialize"`)) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Mcp-Session-Id", "upstream-session-1")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"benchproc","version":"1"}}}`, requestID(body))
			return
		}
		answerCall(w, requestID(body))
		return
	}
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	if size < minEventSize || size > maxEventSize {
		http.Error(w, "size out of range", http.StatusBadRequest)
		return
	}
	every, _ := time.ParseDuration(r.URL.Query().Get("every"))
	stream(w, r.Context(), size, every)
}

// stream writes stamped events of size bytes, one every every (0: as fast
// as the writes return), until ctx ends.
func stream(w http.ResponseWriter, ctx context.Context, size int, every time.Duration) {
	f := startSSE(w)
	var beat <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		beat = t.C
	}
	buf := make([]byte, 0, size)
	for i := int64(0); ; i++ {
		if beat != nil {
			select {
			case <-beat:
			case <-ctx.Done():
				return
			}
		} else if ctx.Err() != nil {
			return
		}
		buf = appendProgress(buf[:0], i, size, time.Now().UnixNano())
		if _, err := w.Write(buf); err != nil {
			return
		}
		f.Flush()
	}
}

// answerCall answers a tools/call with postEvents events of 256 B.
func answerCall(w http.ResponseWriter, id string) {
	f := startSSE(w)
	buf := make([]byte, 0, postEventSize)
	for i := range int64(postEvents) {
		if i < postEvents-1 {
			buf = appendProgress(buf[:0], i, postEventSize, time.Now().UnixNano())
		} else {
			buf = appendResult(buf[:0], i, id, postEventSize)
		}
		if _, err := w.Write(buf); err != nil {
			return
		}
		f.Flush()
	}
}

const (
	postEventSize = 256
	minEventSize  = 256
	maxEventSize  = 1 << 20
)

// appendProgress appends one notifications/progress event of exactly size
// bytes, stamped with ts.
func appendProgress(dst []byte, n int64, size int, ts int64) []byte {
	start := len(dst)
	dst = append(dst, "event: message\nid: "...)
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(dst, "\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":"...)
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, `,"message":"`...)
	return padTo(dst, start, size, "\"}}\n\n")
}

// appendResult appends one result event of exactly size bytes answering
// request id.
func appendResult(dst []byte, n int64, id string, size int) []byte {
	start := len(dst)
	dst = append(dst, "event: message\nid: "...)
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(dst, "\ndata: {\"jsonrpc\":\"2.0\",\"id\":"...)
	dst = append(dst, id...)
	dst = append(dst, `,"result":{"content":[{"type":"text","text":"`...)
	return padTo(dst, start, size, "\"}]}}\n\n")
}

func padTo(dst []byte, start, size int, tail string) []byte {
	n := size - (len(dst) - start) - len(tail)
	if n < 0 || n > len(pad) {
		panic("benchproc: event size out of range: " + strconv.Itoa(size))
	}
	return append(append(dst, pad[:n]...), tail...)
}

// pad is the filler of every event (one copy, not a byte at a time: the
// upstream must cost little beside the routes on a shared machine).
var pad = bytes.Repeat([]byte{'x'}, maxEventSize)

// startSSE answers with SSE headers, flushed, and returns the flusher.
func startSSE(w http.ResponseWriter) http.Flusher {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f := w.(http.Flusher)
	f.Flush()
	return f
}

// requestID returns the numeric id of a JSON-RPC request the harness
// sends, or "null".
func requestID(body []byte) string {
	_, after, ok := bytes.Cut(body, []byte(`"id":`))
	if !ok {
		return "null"
	}
	j := 0
	for j < len(after) && after[j] >= '0' && after[j] <= '9' {
		j++
	}
	if j == 0 {
		return "null"
	}
	return string(after[:j])
}

// serveUntilStdinCloses serves h on a fresh loopback port, prints
// "listening on http://ADDR" on stdout, and returns 0 once stdin closes
// (the harness ended or died).
func serveUntilStdinCloses(h http.Handler) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchproc:", err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	fmt.Printf("listening on http://%s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
	return 0
}

// stampOf returns the send time an event's data line carries near its
// start ("ts":<unix ns>).
func stampOf(line []byte) (int64, bool) {
	head := line[:min(len(line), 160)]
	i := bytes.Index(head, []byte(`"ts":`))
	if i < 0 {
		return 0, false
	}
	rest := head[i+len(`"ts":`):]
	var v int64
	k := 0
	for ; k < len(rest) && rest[k] >= '0' && rest[k] <= '9'; k++ {
		v = v*10 + int64(rest[k]-'0')
	}
	return v, k > 0
}
