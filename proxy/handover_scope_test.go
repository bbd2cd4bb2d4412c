package proxy_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestReplyOnHandedOverStreamKeepsConnScope: a sessionless GET stream (the
// legacy transport's, whose endpoint names no session) is handed over
// (handover.go); a rule answers the server's request on it in the client's
// place (replyUpstream). The reply belongs to the stream's
// client connection, conn-N, as the stream does, not to conn-<address>:
// the stream's upstream context keeps the connection's number.
func TestReplyOnHandedOverStreamKeepsConnScope(t *testing.T) {
	answered := make(chan struct{}, 1)
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusAccepted)
			answered <- struct{}{}
			return
		}
		f := startSSE(w)
		fmt.Fprint(w, "event: endpoint\ndata: /messages\n\n") // a legacy stream's, with no session
		f.Flush()
		time.Sleep(50 * time.Millisecond) // the stream is handed over meanwhile
		fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"sampling/createMessage\",\"params\":{}}\n\n")
		f.Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}), withRules(t, `
- name: sampling
  match: method:sampling/createMessage kind:request
  action: block
`))
	c := openIdleGET(t, hs.URL)
	defer c.Close()
	select {
	case <-answered:
	case <-time.After(5 * time.Second):
		for _, o := range hs.Seen.Matching(func(*proxy.Observation) bool { return true }) {
			t.Logf("%+v", o)
		}
		t.Fatal("the rule's answer did not reach the upstream")
	}
	opened := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamOpened })
	replies := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Direction == proxy.ClientToServer && o.Has("by_mcpscope")
	})
	if len(opened) != 1 || len(replies) != 1 {
		t.Fatalf("stream opened %+v, replies %+v: want one each", opened, replies)
	}
	if got, want := replies[0].Session, opened[0].Session; got != want || !strings.HasPrefix(want, "conn-") || strings.Contains(want, ":") {
		t.Errorf("the reply's session is %q, want the stream's %q (conn-N)", got, want)
	}
}
