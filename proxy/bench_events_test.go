package proxy_test

import (
	"net/http"
	"strconv"
	"strings"
)

// Events are shaped as the go-sdk writes them (mcp/event.go:
// "event: <type>\nid: <id>\ndata: <data>\n\n"), padded to an exact size.
const padding = 16 << 10

var pad = strings.Repeat("x", padding)

// appendProgress appends one notifications/progress event of exactly size
// bytes in the go-sdk shape; extra is inserted into params (e.g. a
// timestamp).
func appendProgress(dst []byte, n int64, size int, extra []byte) []byte {
	start := len(dst)
	dst = append(dst, "event: message\nid: "...)
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(dst, `
data: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":`...)
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(dst, extra...)
	dst = append(dst, `,"message":"`...)
	return padTo(dst, start, size, "\"}}\n\n")
}

// appendResult appends one result event of exactly size bytes answering
// request id.
func appendResult(dst []byte, n int64, id string, size int) []byte {
	start := len(dst)
	dst = append(dst, "event: message\nid: "...)
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(dst, `
data: {"jsonrpc":"2.0","id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"result":{"content":[{"type":"text","text":"`...)
	return padTo(dst, start, size, "\"}]}}\n\n")
}

func padTo(dst []byte, start, size int, tail string) []byte {
	n := size - (len(dst) - start) - len(tail)
	if n < 0 || n > padding {
		panic("bench: event size out of range: " + strconv.Itoa(size))
	}
	dst = append(dst, pad[:n]...)
	return append(dst, tail...)
}

// startSSE answers with SSE headers, flushed, and returns the flusher.
func startSSE(w http.ResponseWriter) http.Flusher {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f := w.(http.Flusher)
	f.Flush()
	return f
}
