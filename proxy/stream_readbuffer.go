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
// A stream that moves bulk and whose events are observed reads into leased
// buffers instead (see lease), each read after the previous one in the
// same lease until little room is left. The observations of its events then
// share the bytes the proxy read instead of copying them, and a lease goes
// back to the pool once the stream and the last observer are done with it.
// An event that spans reads lies whole in the lease too: the bytes of the
// unfinished event are carried over to the start of the next lease. Small
// reads are copied: a lease would pin a large buffer for a few bytes.
type readBuffer struct {
	small *[]byte // pooled; the stream's until close
	large *[]byte // pooled, when the chunk's bytes are copied for observers (or nobody observes)

	leased      *lease // the lease the stream reads into (it holds a reference)
	used        int    // bytes of leased.buf read into so far
	run         int    // how many of the stream's latest bytes lie contiguously in leased.buf, ending at used
	chunkLeased bool   // the last chunk lies in leased.buf, from chunkStart
	chunkStart  int
	carried     int          // the unfinished block's bytes that lie just before the last chunk in the lease
	budget      *leaseBudget // where leases come from: sharedLeases when nil

	busy   bool // the last read filled the small buffer: read more at once
	shrink bool // give the large buffers back before the next read
}

const (
	smallReadBuffer = 1 << 10 // an idle stream holds it: one notification's worth
	largeReadBuffer = 64 << 10
	minLeaseRoom    = 32 << 10 // a read into a lease gets at least this much room
)

var (
	smallBuffers = newBufferPool(smallReadBuffer)
	largeBuffers = newBufferPool(largeReadBuffer)
)

// read reads the next chunk; the previous one must be forwarded and
// captured already. keep tells that observers want the chunk's bytes: a
// busy stream then reads into a lease they can share (chunkLease). pending
// is how many bytes of an unfinished block the parser holds: the stream's
// latest bytes, which the lease keeps just before the new chunk if it can.
func (rb *readBuffer) read(r io.Reader, keep bool, pending int) ([]byte, error) {
	if rb.shrink && pending == 0 { // mid-event, the rest is on its way: stay large
		rb.release()
	}
	rb.shrink = false
	rb.chunkLeased, rb.carried = false, 0
	var buf []byte
	switch {
	case rb.busy && keep:
		if rb.prepareLease(pending) {
			rb.chunkLeased, rb.chunkStart = true, rb.used
			buf = rb.leased.buf[rb.used:]
			break
		}
		fallthrough // the leases are all out: copy what observers need
	case rb.busy:
		if rb.leased != nil { // nobody observes any more
			rb.leased.release()
			rb.leased, rb.used, rb.run = nil, 0, 0
		}
		if rb.large == nil {
			rb.large = largeBuffers.get()
		}
		buf = *rb.large
	default:
		if rb.small == nil {
			rb.small = smallBuffers.get()
		}
		buf = *rb.small
	}
	n, err := r.Read(buf)
	if rb.chunkLeased {
		rb.used += n
		rb.run += n
	}
	switch {
	case !rb.busy && n >= len(buf)-len(buf)/4: // nearly: a chunked body's framing is not in n
		rb.busy = true
	case rb.busy && n < largeReadBuffer/8:
		rb.shrink = true // caught up: the next read is likely to wait
	}
	return buf[:n:n], err
}

// prepareLease makes room for the next read in a lease: the rest of the
// current one, or a new one that starts with the pending bytes of the
// current one. It returns false, holding no lease, when the stream has too
// many out.
func (rb *readBuffer) prepareLease(pending int) bool {
	l := rb.leased
	if l != nil && len(l.buf)-rb.used >= minLeaseRoom {
		if pending <= rb.run {
			rb.carried = pending
		}
		return true
	}
	if rb.budget == nil {
		rb.budget = &sharedLeases
	}
	next := rb.budget.take()
	carry := 0
	if l != nil && next != nil && pending > 0 && pending <= rb.run && pending <= leaseSize-minLeaseRoom {
		carry = copy(next.buf, l.buf[rb.used-pending:rb.used])
	}
	if l != nil {
		l.release()
	}
	rb.leased, rb.used, rb.run, rb.carried = next, carry, carry, carry
	if next == nil {
		return false
	}
	rb.putLarge()
	return true
}

// chunkLease returns the lease the last chunk lies in, or nil when its
// bytes are the stream's own (they change on the next read).
func (rb *readBuffer) chunkLease() *lease {
	if rb.chunkLeased {
		return rb.leased
	}
	return nil
}

// text returns b, a part of the last chunk, as a string: sharing its bytes
// when the chunk is leased (the caller must hold a reference to the lease
// for as long as the string is read), copying them otherwise.
func (rb *readBuffer) text(b []byte) string {
	if rb.chunkLeased && len(b) > 0 {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// spanning returns, as a string sharing the lease, the block of size bytes
// that the last chunk completes up to its byte end, when that block began
// in earlier chunks whose bytes lie just before it in the lease; "" when
// they do not.
func (rb *readBuffer) spanning(size, end int) string {
	if !rb.chunkLeased || rb.carried == 0 || size != rb.carried+end {
		return ""
	}
	return unsafe.String(&rb.leased.buf[rb.chunkStart-rb.carried], size)
}

// release gives back the large buffers, the stream's reference to its
// lease among them. The last chunk must have been forwarded already.
func (rb *readBuffer) release() {
	rb.shrink, rb.busy, rb.chunkLeased, rb.carried = false, false, false, 0
	if rb.leased != nil {
		rb.leased.release()
		rb.leased, rb.used, rb.run = nil, 0, 0
	}
	rb.putLarge()
}

// close gives back every buffer once the stream has ended: nothing of
// its chunks is read after (observations copy what they do not lease).
func (rb *readBuffer) close() {
	rb.release()
	if rb.small != nil {
		smallBuffers.put(rb.small)
		rb.small = nil
	}
}

func (rb *readBuffer) putLarge() {
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
