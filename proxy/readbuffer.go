package proxy

import (
	"io"
	"sync"
	"unsafe"
)

// readBuffer is the stream's read buffer. It stays small while the stream
// idles (an open stream mostly waits) and grows to a large buffer while
// reads keep filling it, so throughput does not pay for idle memory.
//
// A stream that moves bulk (reads fill half the large buffer) and whose
// events are observed reads into slabs instead of a reused buffer: each read takes the next unused part of the current slab,
// and no byte of a slab is ever written twice. The observations of the
// events can then share the bytes the proxy read (see frozen) instead of
// copying each event; a slab is garbage once no observation refers to it.
// Reading into fresh memory costs its zeroing, about half of a copy.
type readBuffer struct {
	small  []byte
	large  *[]byte // pooled, when the events are not kept
	slab   []byte  // the unused rest of the current slab, when they are
	shrink bool    // give the large buffer back before the next read
	toSlab bool    // switch from the large buffer to slabs before the next read

	frozen bool // the last chunk lies in a slab: its bytes never change
}

const (
	smallReadBuffer = 4 << 10
	largeReadBuffer = 64 << 10
	slabSize        = 256 << 10
)

var largeBuffers = newBufferPool(largeReadBuffer)

// read reads the next chunk. keep tells that the chunk's bytes will be
// kept by observations; the chunk is then frozen when it can be.
func (rb *readBuffer) read(r io.Reader, keep bool) ([]byte, error) {
	if rb.shrink {
		rb.release()
	}
	if rb.toSlab {
		rb.toSlab = false
		largeBuffers.put(rb.large)
		rb.large, rb.slab = nil, make([]byte, slabSize)
	}
	busy := rb.large != nil || rb.slab != nil
	var buf []byte
	switch {
	case rb.slab != nil && keep:
		if len(rb.slab) < largeReadBuffer/4 {
			rb.slab = make([]byte, slabSize)
		}
		buf = rb.slab[:min(len(rb.slab), largeReadBuffer)]
	case busy:
		if rb.large == nil {
			rb.large, rb.slab = largeBuffers.get(), nil
		}
		buf = *rb.large
	default:
		if rb.small == nil {
			rb.small = make([]byte, smallReadBuffer)
		}
		buf = rb.small
	}
	n, err := r.Read(buf)
	rb.frozen = rb.slab != nil && keep
	if rb.frozen {
		rb.slab = rb.slab[n:]
	}
	switch {
	case !busy && n == len(buf):
		rb.large = largeBuffers.get() // busy: read more at once next time
	case rb.large != nil && keep && n >= len(buf)/2:
		// Bulk: copying each event for its observation would cost more
		// than reading into fresh memory. The large buffer holds this
		// chunk: it goes back to the pool on the next read.
		rb.toSlab = true
	case busy && n < len(buf)/8:
		rb.shrink = true // caught up: the next read is likely to wait
	}
	return buf[:n:n], err
}

// text returns b, a part of the last chunk, as a string: sharing its bytes
// when the chunk is frozen, copying them otherwise.
func (rb *readBuffer) text(b []byte) string {
	if rb.frozen && len(b) > 0 {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// release returns the large buffer to the pool and drops the slab. The
// chunk read into the large buffer must have been forwarded already.
func (rb *readBuffer) release() {
	rb.shrink, rb.toSlab = false, false
	rb.slab = nil
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
