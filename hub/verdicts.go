package hub

import (
	"bufio"
	"net"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// verdictBatch is how many verdicts the hub writes at most before it
// flushes them while more lines are queued (a flood).
const verdictBatch = 64

// flushDelay is how long queued lines may make no progress (held at a
// closed gate, a breakpoint, a delay rule) before the verdicts written so
// far are flushed anyway.
const flushDelay = 200 * time.Microsecond

// verdictWriter writes one connection's frames to the hub's side of it.
// A verdict is flushed at once when no more lines of its direction are
// queued, with others every verdictBatch under a flood, and otherwise by
// a flusher as soon as the verdicts stop for flushDelay: a verdict never
// waits behind a line held at the gate or at a breakpoint.
type verdictWriter struct {
	mu        sync.Mutex
	conn      net.Conn
	w         *bufio.Writer
	err       error // the first write error; the connection is then closed
	payload   []byte
	unflushed int
	written   uint64
	kick      chan struct{}
	done      chan struct{}
}

func newVerdictWriter(conn net.Conn) *verdictWriter {
	vw := &verdictWriter{conn: conn, w: bufio.NewWriterSize(conn, 64<<10), kick: make(chan struct{}, 1), done: make(chan struct{})}
	go vw.flusher()
	return vw
}

// frame writes one frame and flushes it (welcome, refuse).
func (vw *verdictWriter) frame(typ byte, payload []byte) error {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	if vw.err == nil {
		vw.fail(writeFrame(vw.w, typ, payload))
		vw.flushLocked()
	}
	return vw.err
}

// verdict writes a verdict; more says that more lines of its direction
// are queued.
func (vw *verdictWriter) verdict(dir proxy.Direction, v Verdict, more bool) {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	if vw.err != nil {
		return
	}
	vw.payload = encodeVerdict(vw.payload[:0], dir, v)
	vw.fail(writeFrame(vw.w, frameVerdict, vw.payload))
	vw.written++
	vw.unflushed++
	if !more || vw.unflushed >= verdictBatch {
		vw.flushLocked()
		return
	}
	select {
	case vw.kick <- struct{}{}:
	default:
	}
}

// flusher flushes what verdict left buffered once the verdicts stop
// coming for flushDelay.
func (vw *verdictWriter) flusher() {
	defer close(vw.done)
	for range vw.kick {
		for {
			vw.mu.Lock()
			n := vw.written
			vw.mu.Unlock()
			time.Sleep(flushDelay)
			vw.mu.Lock()
			idle := vw.written == n
			if idle {
				vw.flushLocked()
			}
			vw.mu.Unlock()
			if idle {
				break
			}
		}
	}
}

func (vw *verdictWriter) flushLocked() {
	if vw.err == nil {
		vw.fail(vw.w.Flush())
		vw.unflushed = 0
	}
}

func (vw *verdictWriter) fail(err error) {
	if err != nil && vw.err == nil {
		vw.err = err
		vw.conn.Close() // the connection's reader ends too
	}
}

// close stops the flusher. No verdict may be written after.
func (vw *verdictWriter) close() {
	close(vw.kick)
	<-vw.done
}
