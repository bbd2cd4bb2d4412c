package proxy_test

import (
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// flood writes to c until writing fails, then closes done.
func flood(c net.Conn, done chan<- struct{}) {
	defer close(done)
	b := make([]byte, 32<<10)
	for {
		if _, err := c.Write(b); err != nil {
			return
		}
	}
}

// TestProbeSurvivesFloodingClient: a client that keeps sending bytes on
// its handed-over GET stream's connection does not stall the probing of
// the others (handover_conns.go): meanwhile another GET stream is handed over
// and, when its client leaves, its upstream request ends within a
// generous bound.
func TestProbeSurvivesFloodingClient(t *testing.T) {
	upstreamDone := make(chan time.Time, 2)
	t.Run("stream", func(t *testing.T) {
		hs := through(t, idleUntilGone(upstreamDone), nil)
		flooder := openIdleGET(t, hs.URL)
		flooded := make(chan struct{})
		go flood(flooder, flooded)
		defer func() {
			hs.Proxy.CloseStreams() // the flood's unread bytes come before its close: a probe would take long to read to it
			flooder.Close()
			<-flooded
		}()
		time.Sleep(1200 * time.Millisecond) // two probes: the flood is under way
		c := openIdleGET(t, hs.URL)
		left := time.Now()
		c.Close()
		select {
		case at := <-upstreamDone:
			if d := at.Sub(left); d > 2*time.Second {
				t.Errorf("upstream saw its request end %v after the client left, want < 2s", d)
			}
		case <-time.After(3 * time.Second):
			t.Error("upstream request still open 3s after the client left, while another client floods its stream")
		}
	})
	goleak.VerifyNone(t)
}
