package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestObservationTimesFollowTheWire: what a stream publishes through its
// outbox (after the client has the bytes, up to a BatchInterval later) is
// stamped when it happened, not when it was published: the stream opens
// before its first event, and the messages of a batch an event carries
// share the event's time. Observations of one stream come in seq order, so
// their times must not go back (the upstream sends the first event with
// its headers, so a stream_opened stamped when published would come after
// it).
func TestObservationTimesFollowTheWire(t *testing.T) {
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n")
		w.(http.Flusher).Flush() // at once: the first event arrives as the stream opens
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "data: [{\"jsonrpc\":\"2.0\",\"method\":\"a\"},{\"jsonrpc\":\"2.0\",\"method\":\"b\"}]\n\n")
	}), nil)
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	closed := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamClosed })
	if len(closed) != 1 {
		t.Fatal("no stream_closed observation")
	}
	stream := hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Stream == closed[0].Stream })
	var opened, batchEvent *proxy.Observation
	var batched []*proxy.Observation
	for i, o := range stream {
		if i > 0 && o.Time.Before(stream[i-1].Time) {
			t.Errorf("#%d %s at %s comes after #%d %s at %s", o.Seq, o.Type, o.Time.Format("15:04:05.000000"),
				stream[i-1].Seq, stream[i-1].Type, stream[i-1].Time.Format("15:04:05.000000"))
		}
		switch {
		case o.Type == proxy.TypeStreamOpened:
			opened = o
		case o.Type == proxy.TypeSSEEvent && strings.Contains(o.Raw, "["):
			batchEvent = o
		case o.Type == proxy.TypeMessage && o.Batch == 2:
			batched = append(batched, o)
		}
	}
	if opened == nil || batchEvent == nil || len(batched) != 2 {
		t.Fatalf("want stream_opened, the batch's event and its 2 messages; got %d observations of the stream", len(stream))
	}
	for _, m := range batched {
		if !m.Time.Equal(batchEvent.Time) {
			t.Errorf("batch message %s stamped %s, its event %s", m.Method, m.Time.Format("15:04:05.000000"), batchEvent.Time.Format("15:04:05.000000"))
		}
	}
}
