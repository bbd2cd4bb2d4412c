package proxy

// LeasesOut is how many read buffers are leased out right now, for tests
// that check every holder let go.
func LeasesOut() int32 { return sharedLeases.out.Load() }

// StopPoisoning keeps released buffers as they are, for a benchmark's
// child proxy: a test binary, which would otherwise overwrite every
// released lease (see poisonReleased) and so measure the poisoning. Call
// it before the proxy serves.
func StopPoisoning() { poisonReleased = func() bool { return false } }
