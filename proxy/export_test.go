package proxy

// LeasesOut is how many read buffers are leased out right now, for tests
// that check every holder let go.
func LeasesOut() int32 { return sharedLeases.out.Load() }
