package proxy

import "io"

// batchWriter writes the blocks of one chunk with as few writes as it can:
// blocks forwarded unchanged lie next to each other in the chunk, so their
// bytes go out in one Write when the chunk is used up (or before the stream
// waits). A changed block, or one that spanned chunks, is written on its own
// after what is pending.
type batchWriter struct {
	w          io.Writer
	chunk      []byte
	start, end int // chunk[start:end] is accepted but not yet written
	err        error
}

func (b *batchWriter) startChunk(chunk []byte) {
	b.chunk, b.start, b.end = chunk, 0, 0
}

// addChunkBytes accepts the chunk's bytes up to end, unchanged.
func (b *batchWriter) addChunkBytes(end int) { b.end = end }

// addOther writes p, which stands for the chunk's bytes up to end (a changed
// block, or one with bytes from earlier chunks), after what is pending.
func (b *batchWriter) addOther(p []byte, end int) {
	if b.flushPending() == nil && len(p) > 0 {
		_, b.err = b.w.Write(p)
	}
	b.start, b.end = end, end
}

// pendingChunkEnd is where the accepted bytes of the chunk end.
func (b *batchWriter) pendingChunkEnd() int { return b.end }

// flushPending writes the pending span. It returns the first write error
// of the stream, which sticks.
func (b *batchWriter) flushPending() error {
	if b.err == nil && b.end > b.start {
		_, b.err = b.w.Write(b.chunk[b.start:b.end])
	}
	b.start = b.end
	return b.err
}
