package proxy

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/sse"
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

// TestLeasedChunksKeepTheirBytes reads bulk with keep set, holding a
// reference to every leased chunk as an observation would: each keeps its
// bytes however many reads follow; past the budget of leases the
// chunks are the stream's own (observers get copies); once everything is
// let go, the budget is whole again.
func TestLeasedChunksKeepTheirBytes(t *testing.T) {
	rb := readBuffer{budget: &leaseBudget{max: 16}}
	r := &bulkReader{n: 48 << 10}
	type kept struct {
		l    *lease
		text string
		want byte
	}
	var all []kept
	leases := map[*lease]bool{}
	unleased := 0
	for {
		chunk, err := rb.read(r, true, 0)
		if l := rb.chunkLease(); len(chunk) > 0 && l != nil {
			l.retain()
			leases[l] = true
			all = append(all, kept{l, rb.text(chunk), byte(r.reads)})
		} else if len(chunk) > 0 && r.reads > 1 {
			unleased++
		}
		if err != nil {
			break
		}
	}
	if len(leases) != int(rb.budget.max) || len(all) < 2*len(leases) {
		t.Fatalf("%d chunks in %d leases while observers held them all; want the budget of %d leases, several chunks each", len(all), len(leases), rb.budget.max)
	}
	if unleased == 0 {
		t.Fatal("past the budget, reads still went into leases")
	}
	for i, k := range all {
		if got := []byte(k.text); !bytes.Equal(got, bytes.Repeat([]byte{k.want}, len(got))) {
			t.Fatalf("chunk %d changed after later reads", i)
		}
	}
	rb.release()
	for _, k := range all {
		k.l.release()
	}
	if out := rb.budget.out.Load(); out != 0 {
		t.Fatalf("%d leases still counted out after every holder let go", out)
	}
}

// TestLeaseGoesBackWhenUnobserved: once the stream has moved to a new
// lease, one nobody borrowed from goes back to the pool.
func TestLeaseGoesBackWhenUnobserved(t *testing.T) {
	rb := readBuffer{budget: &leaseBudget{max: maxLeases}}
	r := &bulkReader{n: 48 << 10}
	var first *lease
	for range 20 {
		if _, err := rb.read(r, true, 0); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = rb.chunkLease()
		}
		if first != nil && rb.chunkLease() != first {
			break
		}
	}
	if first == nil || rb.chunkLease() == first {
		t.Fatal("bulk reads never moved to a second lease")
	}
	if out := rb.budget.out.Load(); out != 1 {
		t.Fatalf("%d leases out, want only the current one", out)
	}
	rb.release()
}

// TestSpanningBlocksLieInTheLease feeds a parser as the stream does, with
// events cut across reads: a block that began in earlier reads is found
// whole in the lease (carried over when a new lease starts), byte for byte
// the block the parser yields.
func TestSpanningBlocksLieInTheLease(t *testing.T) {
	event := "event: message\ndata: " + strings.Repeat("x", 20<<10) + "\n\n"
	stream := strings.Repeat(event, 200)
	r := &cuttingReader{rest: stream, cuts: []int{4 << 10, 9 << 10, 16 << 10, 7 << 10, 30 << 10}}
	var rb readBuffer
	var p sse.Parser
	spanning, viewed := 0, 0
	for {
		chunk, err := rb.read(r, true, p.Buffered())
		p.Feed(chunk)
		for {
			b, ok := p.Next()
			if !ok {
				break
			}
			if subsliceOffset(chunk, b.Raw) >= 0 {
				continue
			}
			spanning++
			if view := rb.spanning(len(b.Raw), p.Consumed()); view != "" {
				viewed++
				if view != string(b.Raw) {
					t.Fatalf("spanning block %d: the lease holds other bytes than the parser's block", spanning)
				}
			}
		}
		if err != nil {
			break
		}
	}
	rb.release()
	if spanning < 100 || viewed < spanning*9/10 {
		t.Fatalf("%d of %d blocks spanning reads were found whole in the lease, want nearly all", viewed, spanning)
	}
}

// cuttingReader returns rest in reads of the sizes in cuts, in turn.
type cuttingReader struct {
	rest string
	cuts []int
	i    int
}

func (r *cuttingReader) Read(p []byte) (int, error) {
	if r.rest == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.cuts[r.i%len(r.cuts)])], r.rest)
	r.i++
	r.rest = r.rest[n:]
	return n, nil
}

// TestReadBufferIdleStaysSmall: once reads are short, the stream holds only
// its small buffer.
func TestReadBufferIdleStaysSmall(t *testing.T) {
	rb := readBuffer{budget: &leaseBudget{max: maxLeases}}
	r := &bulkReader{n: 48 << 10}
	for range 5 {
		if _, err := rb.read(r, true, 0); err != nil {
			t.Fatal(err)
		}
	}
	if rb.chunkLease() == nil {
		t.Fatal("bulk reads with keep did not lease")
	}
	r.n = 100
	for range 3 {
		if _, err := rb.read(r, true, 0); err != nil {
			t.Fatal(err)
		}
	}
	if rb.chunkLease() != nil || rb.large != nil || rb.budget.out.Load() != 0 {
		t.Fatalf("short reads kept large buffers (leased %v, large %v)", rb.chunkLease() != nil, rb.large != nil)
	}
}

// TestLeakedLeaseComesBack: a lease dropped without its release (a holder
// that never let go) gives its place in the budget back once it is
// garbage.
func TestLeakedLeaseComesBack(t *testing.T) {
	budget := &leaseBudget{max: 4}
	func() {
		l := budget.take()
		l.buf[0] = 1 // held, then dropped without release
	}()
	if budget.out.Load() != 1 {
		t.Fatalf("%d leases out, want the one taken", budget.out.Load())
	}
	for i := 0; budget.out.Load() != 0; i++ {
		if i == 100 {
			t.Fatal("a leaked lease's place in the budget did not come back after 100 collections")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}
