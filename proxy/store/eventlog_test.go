package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// logBackends returns every replay log backend with the limits: memory,
// miniredis and each real Redis deployment (see realRedis).
func logBackends(t *testing.T, l LogLimits) map[string]EventLog {
	out := map[string]EventLog{"memory": NewMemoryLog(l)}
	mr := miniredis.RunT(t)
	r, err := NewRedis("redis://"+mr.Addr()+"/0", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	out["miniredis"] = r.EventLog(l)
	for name, rr := range realRedis(t, time.Minute) {
		out[name] = rr.EventLog(l)
	}
	return out
}

func frame(seq int64) string { return fmt.Sprintf("id: k/%d\ndata: {\"n\":%d}\n\n", seq, seq) }

func TestEventLogContract(t *testing.T) {
	t.Parallel() // real Redis deployments start alongside other tests
	ctx := context.Background()
	for name, log := range logBackends(t, LogLimits{Events: 5}) {
		t.Run(name, func(t *testing.T) {
			if evs, complete, err := log.After(ctx, "unknown", 0); err != nil || complete || len(evs) != 0 {
				t.Fatalf("After on an unknown stream = %d events, complete %v, err %v; want nothing, incomplete", len(evs), complete, err)
			}
			for seq := int64(1); seq <= 8; seq++ {
				if err := log.Append(ctx, "s1", LoggedEvent{Seq: seq, Frame: frame(seq), Cursor: fmt.Sprint("u", seq)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := log.Append(ctx, "s2", LoggedEvent{Seq: 1, Frame: frame(1)}); err != nil {
				t.Fatal(err)
			}
			evs, complete, err := log.After(ctx, "s1", 5)
			if err != nil || !complete || len(evs) != 3 || evs[0].Seq != 6 || evs[2].Frame != frame(8) || evs[2].Cursor != "u8" {
				t.Fatalf("After(5) = %+v, complete %v, err %v; want events 6..8 with their frames and cursors", evs, complete, err)
			}
			// Events 1..3 were evicted (5 kept): a client at 2 cannot be
			// served from the log; one at 3 can (4 is the oldest kept).
			if evs, complete, _ := log.After(ctx, "s1", 2); complete || len(evs) != 0 {
				t.Fatalf("After(2) past eviction = %d events, complete %v; want incomplete", len(evs), complete)
			}
			if evs, complete, _ := log.After(ctx, "s1", 3); !complete || len(evs) != 5 {
				t.Fatalf("After(3) = %d events, complete %v; want 4..8", len(evs), complete)
			}
			if evs, complete, _ := log.After(ctx, "s1", 8); !complete || len(evs) != 0 {
				t.Fatalf("After(8) = %d events, complete %v; want none, complete (up to date)", len(evs), complete)
			}
			if evs, _, _ := log.After(ctx, "s2", 0); len(evs) != 1 || evs[0].Frame != frame(1) {
				t.Fatalf("stream s2 = %+v; logs are per stream", evs)
			}
		})
	}
}

func TestMemoryLogBytesAndAge(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryLog(LogLimits{Bytes: 3 * len(frame(1)), Age: time.Minute})
	clock := time.Now()
	m.now = func() time.Time { return clock }
	for seq := int64(1); seq <= 5; seq++ {
		m.Append(ctx, "s", LoggedEvent{Seq: seq, Frame: frame(seq)})
	}
	if evs, complete, _ := m.After(ctx, "s", 2); !complete || len(evs) != 3 {
		t.Fatalf("bytes bound: After(2) = %d events, complete %v; want the last 3", len(evs), complete)
	}
	clock = clock.Add(2 * time.Minute)
	if evs, complete, _ := m.After(ctx, "s", 2); complete || len(evs) != 0 {
		t.Fatalf("age bound: After(2) = %d events, complete %v; want nothing left", len(evs), complete)
	}
	for i := range sweepEvery {
		m.Append(ctx, "other", LoggedEvent{Seq: int64(i + 1), Frame: "x"})
	}
	if m.Streams() != 1 {
		t.Fatalf("%d logs kept after a sweep; the expired stream's log should be gone", m.Streams())
	}
}

// TestEventLogBytesBound: every backend evicts the oldest events past the
// bytes limit, and keeps the newest even when it alone is over.
func TestEventLogBytesBound(t *testing.T) {
	t.Parallel() // real Redis deployments start alongside other tests
	ctx := context.Background()
	for name, log := range logBackends(t, LogLimits{Bytes: 3 * len(frame(1))}) {
		t.Run(name, func(t *testing.T) {
			for seq := int64(1); seq <= 5; seq++ {
				if err := log.Append(ctx, "s", LoggedEvent{Seq: seq, Frame: frame(seq)}); err != nil {
					t.Fatal(err)
				}
			}
			if evs, complete, _ := log.After(ctx, "s", 2); !complete || len(evs) != 3 || evs[0].Seq != 3 {
				t.Fatalf("After(2) = %d events, complete %v; want 3…5", len(evs), complete)
			}
			if evs, complete, _ := log.After(ctx, "s", 1); complete || len(evs) != 0 {
				t.Fatalf("After(1) = %d events, complete %v; 2 was evicted", len(evs), complete)
			}
			big := strings.Repeat("x", 10*len(frame(1)))
			log.Append(ctx, "s", LoggedEvent{Seq: 6, Frame: big})
			if evs, complete, _ := log.After(ctx, "s", 5); !complete || len(evs) != 1 || evs[0].Frame != big {
				t.Fatalf("After(5) = %d events, complete %v; want the oversized newest kept alone", len(evs), complete)
			}
		})
	}
}
