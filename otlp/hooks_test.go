package otlp

import "time"

// ShortTimings makes the exporter give up on a collector quickly (a
// request after request), so that tests of a dead collector end in seconds; it returns a func restoring
// the defaults.
func ShortTimings(request time.Duration) (restore func()) {
	b, r, e, x, n := batchTimeout, requestTimeout, retryElapsed, exportTimeout, noticeEvery
	batchTimeout, requestTimeout, retryElapsed, exportTimeout, noticeEvery = 100*time.Millisecond, request, time.Second, request+time.Second, 0
	return func() { batchTimeout, requestTimeout, retryElapsed, exportTimeout, noticeEvery = b, r, e, x, n }
}
