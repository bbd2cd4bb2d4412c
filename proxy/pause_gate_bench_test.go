package proxy

import "testing"

// BenchmarkGateOpenPath is what the pause gate costs an event on a stream
// nobody paused: the one atomic load of the fast-path flag and the two
// counters. Compare it with the proxy's per-event CPU in the SSE
// benchmarks (docs/BENCHMARKS.md).
func BenchmarkGateOpenPath(b *testing.B) {
	var g gates
	s := g.open("st-1", "s-1", StreamGET)
	b.ReportAllocs()
	for b.Loop() {
		if s.closed.Load() {
			b.Fatal("closed")
		}
		s.events.Add(1)
		s.bytes.Add(256)
	}
}
