//go:build !unix || linux

package stdio

import (
	"os"
	"sync/atomic"
)

// fileReader is the server's stdout as an *os.File, whose Close
// interrupts a Read under way.
type fileReader struct {
	f       *os.File
	reading atomic.Bool
}

func (r *fileReader) Read(p []byte) (int, error) {
	r.reading.Store(true)
	defer r.reading.Store(false)
	return r.f.Read(p)
}

func (r *fileReader) waiting() bool { return r.reading.Load() }
func (r *fileReader) Close() error  { return r.f.Close() }
