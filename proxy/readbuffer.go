package proxy

import (
	"io"
	"sync"
)

// readBuffer is the stream's read buffer. It stays small while the stream
// idles (an open stream mostly waits) and grows to a pooled large buffer
// while reads keep filling it, so throughput does not pay for idle memory.
type readBuffer struct {
	small  []byte
	large  *[]byte
	shrink bool // give the large buffer back before the next read
}

const (
	smallReadBuffer = 4 << 10
	largeReadBuffer = 64 << 10
)

var largeBuffers = newBufferPool(largeReadBuffer)

func (rb *readBuffer) read(r io.Reader) ([]byte, error) {
	if rb.shrink {
		rb.release()
	}
	var buf []byte
	if rb.large != nil {
		buf = *rb.large
	} else {
		if rb.small == nil {
			rb.small = make([]byte, smallReadBuffer)
		}
		buf = rb.small
	}
	n, err := r.Read(buf)
	switch {
	case rb.large == nil && n == len(buf):
		rb.large = largeBuffers.get() // busy: read more at once next time
	case rb.large != nil && n < len(buf)/8:
		rb.shrink = true // caught up: the next read is likely to wait
	}
	return buf[:n], err
}

// release returns the large buffer to the pool. The chunk read into it must
// have been forwarded already.
func (rb *readBuffer) release() {
	rb.shrink = false
	if rb.large != nil {
		largeBuffers.put(rb.large)
		rb.large = nil
	}
}

// bufferPool pools large read buffers.
type bufferPool struct{ pool sync.Pool }

func newBufferPool(size int) *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, size); return &b }}}
}

func (p *bufferPool) get() *[]byte  { return p.pool.Get().(*[]byte) }
func (p *bufferPool) put(b *[]byte) { p.pool.Put(b) }
