package record

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/mcpscope/mcpscope/proxy"
)

// Stdio sessions in replay. A stdio session (a proxy.Link: wrap, the
// bridge) has no HTTP exchanges: its messages travel on one stream, each
// way, and answers find their requests by JSON-RPC id. Replay indexes it as
// if each of its client's requests had been a POST answered by an SSE
// stream: the exchange of a request holds what its server sent from the
// request until the answer — the answer last, before it the notifications
// and server requests that belong to it: those with its progress token,
// else those sent while it was the newest request not yet answered. What
// the server sent while no request was open (a list_changed notification,
// a log line) goes to the session's standalone stream, as if on a GET. So
// the same Replayer serves stdio recordings over HTTP and HTTP recordings
// over stdio (ServeStdio). A stdio session's recorded session starts at its
// first request (initialize, or server/discover when none was sent).

// stdioExchanges returns the exchanges of the stdio sessions of obs
// (sorted by Seq): one per client request, and per session one standalone
// stream of what came outside any request, if anything did. Messages rules
// answered in the server's place ("local") and lines that are not JSON-RPC
// are left out: replay plays the server.
func stdioExchanges(obs []*proxy.Observation) []*recordedExchange {
	streams := map[string]bool{}
	var out []*recordedExchange
	byRequest := map[uint64]*recordedExchange{}  // request Seq → its exchange
	open := map[string][]*recordedExchange{}     // session → requests not yet answered, oldest first
	byToken := map[string]*recordedExchange{}    // session + progress token → its request's exchange
	standalone := map[string]*recordedExchange{} // session → what came outside any request
	opened := map[string]*proxy.Observation{}    // session → its stream_opened
	for _, o := range obs {
		if o.StreamKind == proxy.StreamStdio && o.Type == proxy.TypeStreamOpened {
			streams[o.Stream] = true
			opened[o.Session] = o
		}
		if o.Type != proxy.TypeMessage || !streams[o.Stream] || o.Has("local") || o.Has("injected") || o.Kind == proxy.KindInvalid {
			continue
		}
		s := o.Session
		switch {
		case o.Direction == proxy.ClientToServer && o.Kind == proxy.KindRequest:
			m := newRecordedMessage(o)
			ex := &recordedExchange{id: "stdio-" + strconv.FormatUint(o.Seq, 10), method: http.MethodPost, status: http.StatusOK,
				mimeType: "text/event-stream", stdio: true, recorded: s, seq: o.Seq, started: o.Time, requests: []recordedMessage{m},
				session: o.Method == "initialize"}
			out = append(out, ex)
			byRequest[o.Seq] = ex
			open[s] = append(open[s], ex)
			if m.token != "" {
				byToken[s+" "+m.token] = ex
			}
		case o.Direction == proxy.ServerToClient:
			var ex *recordedExchange
			if o.Kind == proxy.KindResult || o.Kind == proxy.KindError {
				ex = byRequest[o.RequestSeq]
				if ex != nil {
					open[s] = without(open[s], ex)
				}
			} else if t := progressToken(o); t != "" && byToken[s+" "+t] != nil {
				ex = byToken[s+" "+t]
			} else if n := len(open[s]); n > 0 {
				ex = open[s][n-1]
			}
			if ex == nil {
				ex = standalone[s]
				if ex == nil {
					start := o
					if op := opened[s]; op != nil {
						start = op
					}
					ex = &recordedExchange{id: "stdio-" + s + "-standalone", method: http.MethodGet, status: http.StatusOK,
						mimeType: "text/event-stream", stdio: true, recorded: s, seq: start.Seq, started: start.Time}
					standalone[s] = ex
					out = append(out, ex)
				}
			}
			ex.events = append(ex.events, o)
		}
	}
	return out
}

// without returns exs without ex (in place).
func without(exs []*recordedExchange, ex *recordedExchange) []*recordedExchange {
	for i, e := range exs {
		if e == ex {
			return append(exs[:i], exs[i+1:]...)
		}
	}
	return exs
}

// progressToken returns the progress token of a progress notification, as
// JSON text, or "".
func progressToken(o *proxy.Observation) string {
	if o.Method != "notifications/progress" {
		return ""
	}
	return progressTokenOf(o.Body)
}

// progressTokenOf returns params.progressToken of a message, as JSON text,
// or "".
func progressTokenOf(body string) string {
	var msg struct {
		Params struct {
			Token json.RawMessage `json:"progressToken"`
		} `json:"params"`
	}
	if json.Unmarshal([]byte(body), &msg) != nil {
		return ""
	}
	return string(msg.Params.Token)
}
