package proxy

import "time"

// LeasesOut is how many read buffers are leased out right now, for tests
// that check every holder let go.
func LeasesOut() int32 { return sharedLeases.out.Load() }

// StopPoisoning keeps released buffers as they are, for a benchmark's
// child proxy: a test binary, which would otherwise overwrite every
// released lease (see poisonReleased) and so measure the poisoning. Call
// it before the proxy serves.
func StopPoisoning() { poisonReleased = func() bool { return false } }

// SetClientProbeInterval sets how often the connections of streams handed
// over are probed, for tests that must not count on a probe's tick; it
// returns what restores it. Call it while no stream is handed over, and
// restore it after CloseStreams (whose lock orders the reads before).
func SetClientProbeInterval(d time.Duration) (restore func()) {
	old := clientProbeInterval
	clientProbeInterval = d
	return func() { clientProbeInterval = old }
}
