//go:build !unix

package stdio

import (
	"os"
	"sync/atomic"
)

// fileReader is the server's stdout where there is no poll(2): an
// *os.File, whose Close interrupts a Read under way.
type fileReader struct {
	f       *os.File
	reading atomic.Bool
}

func serverOutputPipe() (serverOutput, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	return &fileReader{f: r}, w, nil
}

func (r *fileReader) Read(p []byte) (int, error) {
	r.reading.Store(true)
	defer r.reading.Store(false)
	return r.f.Read(p)
}

func (r *fileReader) waiting() bool { return r.reading.Load() }
func (r *fileReader) Close() error  { return r.f.Close() }
