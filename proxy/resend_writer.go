package proxy

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/sse"
)

// resendWriter is the client side of a re-send: the ResponseWriter the
// proxy's path answers into. It keeps what it needs to find the answer,
// bounded: a JSON body up to MaxResendAnswer (past it, only counted), or,
// of an SSE stream, each event as it is parsed, until the one carrying
// the answer, which ends the exchange (found: the stream is done).
type resendWriter struct {
	header http.Header
	status int
	id     string // the JSON-RPC id awaited (JSON text); "" for a notification
	found  func() // called once the answer came

	sse    *sse.Parser // non-nil once the answer is an event stream
	body   []byte      // a JSON or other body, up to MaxResendAnswer
	over   bool        // the body was larger
	answer string
}

func (w *resendWriter) Header() http.Header { return w.header }

func (w *resendWriter) WriteHeader(status int) {
	if w.status != 0 || status < 200 {
		return
	}
	w.status = status
	if ct, _, _ := mime.ParseMediaType(w.header.Get("Content-Type")); ct == "text/event-stream" {
		w.sse = sse.NewParser(MaxResendAnswer)
	}
}

func (w *resendWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.answer != "" {
		return len(b), nil
	}
	if w.sse != nil {
		w.sse.Feed(b)
		for {
			blk, ok := w.sse.Next()
			if !ok {
				break
			}
			if w.id == "" || blk.Oversized || !strings.Contains(string(blk.Data), w.id) {
				continue
			}
			if m, ok := answerIn([]string{string(blk.Data)}, w.id); ok {
				w.answer = m
				w.found()
			}
		}
		return len(b), nil
	}
	if len(w.body)+len(b) > MaxResendAnswer {
		w.over = true
		return len(b), nil
	}
	w.body = append(w.body, b...)
	return len(b), nil
}

// Flush is what the proxy's stream calls after each read.
func (w *resendWriter) Flush() {}

func (w *resendWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// result is what the exchange came to.
func (w *resendWriter) result(id string) ResendResult {
	res := ResendResult{ID: id, Status: w.statusCode(), Answer: w.answer}
	if w.sse == nil && !w.over && id != "" {
		msgs, _, _ := jsonrpc.Split(strings.TrimSpace(string(w.body)))
		if m, ok := answerIn(msgs, id); ok {
			res.Answer = m
		}
	}
	switch {
	case res.Status >= 300:
		res.Failure = "HTTP " + strconv.Itoa(res.Status) + " " + http.StatusText(res.Status)
		if text := strings.TrimSpace(string(w.body)); text != "" {
			res.Failure += ": " + cut(text, 1024)
		}
	case res.Answer != "" || id == "":
	case w.over:
		res.Failure = "the answer was larger than the " + strconv.Itoa(MaxResendAnswer>>20) + " MiB re-send keeps: the traffic list shows it"
	default:
		res.Failure = "no answer came (the stream ended without it)"
	}
	return res
}

// cut bounds text to n bytes, marking the cut.
func cut(text string, n int) string {
	if len(text) <= n {
		return text
	}
	return text[:n] + "…"
}
