package proxy

import (
	"bytes"
	"io"
	"testing"
)

// bulkReader returns n bytes per Read, each byte its read's number, so a
// chunk overwritten by a later read shows it.
type bulkReader struct {
	reads, n int
}

func (r *bulkReader) Read(p []byte) (int, error) {
	if r.reads == 200 {
		return 0, io.EOF
	}
	r.reads++
	n := min(r.n, len(p))
	for i := range p[:n] {
		p[i] = byte(r.reads)
	}
	return n, nil
}

// TestReadBufferFrozenChunksNeverChange reads bulk with keep set: every
// chunk read into a slab keeps its bytes however many reads follow, which is
// what lets observations share them.
func TestReadBufferFrozenChunksNeverChange(t *testing.T) {
	var rb readBuffer
	r := &bulkReader{n: 48 << 10}
	type kept struct {
		text string
		want byte
	}
	var all []kept
	frozen := 0
	for {
		chunk, err := rb.read(r, true)
		if len(chunk) > 0 && rb.frozen {
			frozen++
			all = append(all, kept{rb.text(chunk), byte(r.reads)})
		}
		if err != nil {
			break
		}
	}
	if frozen < 100 {
		t.Fatalf("only %d of 200 bulk reads went into a slab", frozen)
	}
	for i, k := range all {
		if got := []byte(k.text); !bytes.Equal(got, bytes.Repeat([]byte{k.want}, len(got))) {
			t.Fatalf("chunk %d changed after later reads", i)
		}
	}
	rb.release()
}

// TestReadBufferIdleStaysSmall: without keep, or once reads are short, the
// stream holds only its small buffer.
func TestReadBufferIdleStaysSmall(t *testing.T) {
	var rb readBuffer
	r := &bulkReader{n: 48 << 10}
	for range 5 {
		if _, err := rb.read(r, true); err != nil {
			t.Fatal(err)
		}
	}
	if rb.slab == nil {
		t.Fatal("bulk reads with keep did not switch to slabs")
	}
	r.n = 100
	for range 3 {
		if _, err := rb.read(r, true); err != nil {
			t.Fatal(err)
		}
	}
	if rb.slab != nil || rb.large != nil {
		t.Fatalf("short reads kept the large buffers (slab %d bytes, large %v)", len(rb.slab), rb.large != nil)
	}
}

// TestReadBufferKeepsTheChunkOutOfThePool: the read that moves a stream
// from the pooled large buffer to slabs returns a chunk that lies in the
// large buffer; the buffer must not be back in the pool (where another
// stream could overwrite it) before the next read.
func TestReadBufferKeepsTheChunkOutOfThePool(t *testing.T) {
	var rb readBuffer
	r := &bulkReader{n: 48 << 10}
	if _, err := rb.read(r, true); err != nil { // small, full: large next
		t.Fatal(err)
	}
	chunk, err := rb.read(r, true) // into the large buffer, bulk: slabs next
	if err != nil || rb.large == nil {
		t.Fatalf("second read: err %v, large buffer %v", err, rb.large != nil)
	}
	want := bytes.Clone(chunk)
	for range 4 { // what other streams would do with the pool meanwhile
		b := largeBuffers.get()
		for i := range *b {
			(*b)[i] = 0xff
		}
		defer largeBuffers.put(b)
	}
	if !bytes.Equal(chunk, want) {
		t.Fatal("the chunk was overwritten through the pool before the next read")
	}
	if _, err := rb.read(r, true); err != nil || rb.slab == nil || rb.large != nil {
		t.Fatalf("third read: err %v; want slabs, the large buffer back in the pool", err)
	}
	rb.release()
}
