package bridge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

const sessionHeader = "Mcp-Session-Id"

// writeError answers with a JSON-RPC error (code -32000) for the request
// whose id is id ("" for none: null), with the given HTTP status.
func writeError(w http.ResponseWriter, status int, id, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(errorLine(id, msg), '\n'))
}

// errorLine is a JSON-RPC error message answering id ("" for none).
func errorLine(id, msg string) []byte {
	if id == "" {
		id = "null"
	}
	text, _ := json.Marshal(msg)
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":%s}}`, id, text)
}

// writeEvent writes one message as an SSE event. A line holds no newline,
// so it is one data field. Events carry no id: a stdio server cannot
// replay, so there is nothing to resume.
func writeEvent(w http.ResponseWriter, line []byte) error {
	buf := make([]byte, 0, len(line)+len("event: message\ndata: \n\n"))
	buf = append(buf, "event: message\ndata: "...)
	buf = append(buf, line...)
	buf = append(buf, "\n\n"...)
	_, err := w.Write(buf)
	return err
}

// startStream writes the headers of an SSE response.
func startStream(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	http.NewResponseController(w).Flush()
}

func flush(w http.ResponseWriter) error { return http.NewResponseController(w).Flush() }

// acceptsSSE reports whether the client takes an SSE response.
func acceptsSSE(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(v, "text/event-stream") {
			return true
		}
	}
	return false
}

// quote quotes untrusted text for a message, bounded.
func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}
