package proxy_test

import (
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestPauseIsBackpressure pauses a stream the upstream pushes 64 MiB into
// as fast as it can: the client must get nothing more, the upstream's
// writes must block, the proxy must not buffer, and after resume every
// event must arrive in order. Over cleartext HTTP/1.1, TLS and HTTP/2
// (where the transport buffers at most a stream's flow-control window).
func TestPauseIsBackpressure(t *testing.T) {
	for _, w := range wires {
		t.Run(w.name, func(t *testing.T) { pauseIsBackpressure(t, w) })
	}
}

func pauseIsBackpressure(t *testing.T, w wire) {
	const eventSize, total = 4096, 16384 // 64 MiB
	up := newFirehose(total, eventSize)
	upstream, configure := startUpstreamOver(t, up, w)
	hs := startProxyKeeping(t, upstream, configure, onlyGates)
	before := heapInUse()
	// The client reads slowly until the pause holds, so the stream cannot
	// end first however fast the machine moves 64 MiB; then at full speed.
	er := readEvents(openStream(t, hs), 100*time.Microsecond)
	er.waitEvents(t, 500, 10*time.Second)
	st := onlyStream(t, hs.Proxy)
	if err := hs.Proxy.PauseStream(st.ID, "test"); err != nil {
		t.Fatal(err)
	}
	waitState(t, hs.Proxy, st.ID, "held")
	er.delay.Store(0)
	time.Sleep(300 * time.Millisecond) // what was already on its way drains
	waitFor(t, hs.Seen.caughtUp)       // the test's observer holds nothing
	received, written, heldHeap := er.bytes.Load(), up.written.Load(), heapInUse()
	time.Sleep(time.Second)
	writtenAt1s := up.written.Load()
	time.Sleep(time.Second)
	if got := er.bytes.Load(); got != received {
		t.Errorf("client received %d bytes during the 2 s pause", got-received)
	}
	if w := up.written.Load(); w != writtenAt1s {
		t.Errorf("upstream wrote %d bytes in the second second of the pause: its writes do not block", w-writtenAt1s)
	}
	if grown := heapInUse() - heldHeap; grown > 2<<20 {
		t.Errorf("heap grew %d bytes during the pause, want < 2 MiB", grown)
	}
	// The whole process (upstream, proxy, client, test) holds at most a few
	// MiB more than before the stream: the megabytes in flight sit in the
	// kernel's socket buffers, not in mcpscope.
	if grown := heldHeap - before; grown > 4<<20 {
		t.Errorf("heap while paused is %d bytes above the start, want < 4 MiB (the rest must sit in the kernel)", grown)
	}
	info := hs.Proxy.Streams()[0]
	t.Logf("paused after %d of %d events; upstream wrote %d bytes, client had %d, proxy holds %d; in the kernel (and the HTTP/2 window): %d",
		er.events.Load(), total, written, received, info.HeldBytes, written-received-info.HeldBytes)
	if info.HeldBytes <= 0 || info.HeldBytes > 2*64<<10+eventSize {
		t.Errorf("stream reports %d bytes held, want some, at most a read buffer and an event", info.HeldBytes)
	}

	if err := hs.Proxy.ResumeStream(st.ID, "test"); err != nil {
		t.Fatal(err)
	}
	er.waitEvents(t, total, 60*time.Second)
	<-er.done
	if err := er.Err(); err != nil {
		t.Fatal(err)
	}
	gates := hs.Seen.Await(t, 4, func(o *proxy.Observation) bool { return o.Type == proxy.TypeGate })
	var actions []string
	for _, g := range gates {
		actions = append(actions, g.Gate.Action)
	}
	if len(actions) != 4 || actions[0] != "pause" || actions[1] != "held" || actions[2] != "resume" || actions[3] != "released" {
		t.Errorf("gate observations = %v, want pause, held, resume, released", actions)
	}
}

// TestStepReleasesOneEvent checks that each step lets exactly one event
// through, and that a global pause holds a stream opened after it.
func TestStepReleasesOneEvent(t *testing.T) {
	hs := through(t, newFirehose(1000, 256), nil)
	hs.Proxy.PauseAll("test")
	er := readEvents(openStream(t, hs), 0)
	st := onlyStream(t, hs.Proxy)
	waitState(t, hs.Proxy, st.ID, "held")
	time.Sleep(100 * time.Millisecond)
	if n := er.events.Load(); n != 0 {
		t.Fatalf("%d events passed a global pause set before the stream opened", n)
	}
	for i := int64(1); i <= 5; i++ {
		if err := hs.Proxy.StepStream(st.ID, "test"); err != nil {
			t.Fatal(err)
		}
		er.waitEvents(t, i, 5*time.Second)
		waitState(t, hs.Proxy, st.ID, "held")
		time.Sleep(50 * time.Millisecond)
		if n := er.events.Load(); n != i {
			t.Fatalf("after %d steps the client has %d events", i, n)
		}
	}
	hs.Proxy.ResumeAll("test")
	er.waitEvents(t, 1000, 10*time.Second)
	if err := hs.Proxy.StepStream(st.ID, "test"); err == nil {
		t.Error("step on a finished stream succeeded")
	}
}

// TestSlowClientThrottlesUpstream checks that a client reading one event
// per 100 ms holds the upstream back, with the proxy's memory flat.
func TestSlowClientThrottlesUpstream(t *testing.T) {
	up := newFirehose(1<<20, 1024)
	hs := startProxyKeeping(t, startUpstream(t, up).URL, nil, onlyGates)
	resp := openStream(t, hs)
	er := readEvents(resp, 100*time.Millisecond)
	time.Sleep(1500 * time.Millisecond) // socket buffers fill
	written, heap := up.written.Load(), heapInUse()
	time.Sleep(1500 * time.Millisecond)
	events := er.events.Load()
	if grew := up.written.Load() - written; grew > 1<<20 {
		t.Errorf("upstream wrote %d bytes in 1.5 s while the client read %d events: not throttled", grew, events)
	}
	if grew := heapInUse() - heap; grew > 1<<20 {
		t.Errorf("heap grew %d bytes while the client read slowly", grew)
	}
	if events < 10 || events > 40 {
		t.Errorf("slow client read %d events in 3 s, want about 30", events)
	}
	resp.Body.Close()
}
