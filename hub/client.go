package hub

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// ErrNoHub says nobody listens on the hub's path (no socket file, or a
// stale one): wrap then runs without a hub.
var ErrNoHub = errors.New("no hub is listening")

// Client is wrap's side of one hub connection. Send and Oversized may be
// called from two goroutines (one per direction); Run reads the verdicts.
type Client struct {
	conn net.Conn
	fr   *frameReader

	mu      sync.Mutex // guards w
	w       *bufio.Writer
	once    sync.Once
	closing atomic.Bool // Close began: the connection ending is not the hub lost

	unflushed atomic.Bool // Send wrote frames Flush has not sent yet

	observe *observeQueue // blocks for the hub to show, sent by sendObserved
	sent    chan struct{} // closed when sendObserved returns
	batch   []observed    // sendObserved's and Send's scratch, under mu
	judge   bool          // the mode the hub welcomed wrap with
}

// Dial connects to the hub at path and says hello for a session named name
// whose window is window bytes. It returns an error wrapping ErrNoHub if
// nobody listens there, or the hub's refusal.
func Dial(path, name string, window int) (*Client, error) {
	conn, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w on %s (%v)", ErrNoHub, path, err)
	}
	c := &Client{conn: conn, fr: &frameReader{r: bufio.NewReaderSize(conn, 64<<10)}, w: bufio.NewWriterSize(conn, 64<<10)}
	hello := binary.BigEndian.AppendUint32([]byte{Version}, uint32(window))
	if err := writeFrame(c.w, frameHello, hello, []byte(name)); err == nil {
		err = c.w.Flush()
	}
	conn.SetReadDeadline(time.Now().Add(helloTimeout))
	typ, b, err := c.fr.next()
	conn.SetReadDeadline(time.Time{})
	switch {
	case err != nil:
		conn.Close()
		return nil, fmt.Errorf("hub on %s: waiting for its welcome: %w", path, err)
	case typ == frameRefuse:
		conn.Close()
		return nil, fmt.Errorf("hub on %s refused: %s", path, b)
	case typ != frameWelcome || len(b) != 1 || b[0] > modeJudge:
		conn.Close()
		return nil, fmt.Errorf("hub on %s: unexpected frame %q instead of welcome", path, typ)
	}
	c.judge = b[0] == modeJudge
	c.observe, c.sent = newObserveQueue(ObserveMax, ObserveRate, ObserveBurst), make(chan struct{})
	go c.sendObserved()
	return c, nil
}

// Send sends one line (without its newline) travelling in dir, after
// the blocks Observe queued before it and the counts of lines it dropped.
// It is buffered: Flush sends what is buffered. The line is not kept.
func (c *Client) Send(dir proxy.Direction, line []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.writeObservedLocked(true); err != nil {
		return err
	}
	c.unflushed.Store(true)
	return writeFrame(c.w, frameLine, []byte{dirByte(dir)}, line)
}

// Observe queues a copy of block (whole lines, each with its newline,
// relayed in dir, handed over just before they are written out) for the
// hub to show. It never waits: past ObserveMax queued or ObserveRate it drops the block, and the hub is
// told how many lines it missed. at, when the relay read block, goes
// with it: the hub publishes its lines with that time.
func (c *Client) Observe(dir proxy.Direction, block []byte, at time.Time) {
	c.observe.push(dir, block, at)
}

// sendObserved writes the queued blocks to the hub as they come, until
// Close. A hub that reads slowly blocks this goroutine, never the relay:
// the queue drops meanwhile.
func (c *Client) sendObserved() {
	defer close(c.sent)
	failed := false
	c.observe.consume(func(final bool) {
		if failed {
			c.observe.take(nil, true) // drained until Close
			return
		}
		c.mu.Lock()
		err := c.writeObservedLocked(final)
		if err == nil {
			err = c.w.Flush()
		}
		c.mu.Unlock()
		if err != nil {
			failed = true
			c.conn.Close() // Run reports the hub lost, unless Close began
		}
	})
}

// writeObservedLocked writes the queued blocks and counts of missed
// lines (all of them if force) as frames. Callers hold mu.
func (c *Client) writeObservedLocked(force bool) error {
	c.batch = c.observe.take(c.batch, force)
	defer clear(c.batch)
	for _, o := range c.batch {
		var err error
		if o.missedLines > 0 {
			head := binary.BigEndian.AppendUint64([]byte{dirByte(o.dir)}, uint64(o.missedLines))
			err = writeFrame(c.w, frameMissed, binary.BigEndian.AppendUint64(head, uint64(o.missedBytes)))
		} else {
			head := binary.BigEndian.AppendUint64([]byte{dirByte(o.dir)}, uint64(o.at.UnixNano()))
			err = writeFrame(c.w, frameBlock, head, o.block)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Oversized tells the hub a line of size bytes starting with prefix went
// by in dir, after the lines sent before.
func (c *Client) Oversized(dir proxy.Direction, size int64, prefix []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.writeObservedLocked(true); err != nil {
		return err
	}
	head := binary.BigEndian.AppendUint64([]byte{dirByte(dir)}, uint64(size))
	if err := writeFrame(c.w, frameOversize, head, prefix); err != nil {
		return err
	}
	return c.w.Flush()
}

// Flush sends what Send buffered, and has the counts of lines Observe
// dropped sent once due (the relay calls it before it waits for input).
func (c *Client) Flush() error {
	c.observe.kick()
	if !c.unflushed.Swap(false) {
		return nil // the common case while observing: the relay idles after every block
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Flush()
}

// Judging reports the mode the hub welcomed wrap with: true if lines are
// to be judged, false if observed (see Run).
func (c *Client) Judging() bool { return c.judge }

// Run reads the hub's verdicts and hands each to deliver, in order per
// direction, and its mode changes to steer (true: send each line to be
// judged; false: write lines out at once and Observe them), until the
// connection ends: nil after Close, else why the hub was lost.
func (c *Client) Run(deliver func(dir proxy.Direction, v Verdict), steer func(judge bool)) error {
	for {
		typ, b, err := c.fr.next()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || c.closing.Load() {
				return nil
			}
			return fmt.Errorf("reading the hub's connection: %w", err)
		}
		switch typ {
		case frameVerdict:
			dir, v, err := decodeVerdict(b)
			if err != nil {
				c.conn.Close()
				return fmt.Errorf("the hub sent a bad verdict: %w", err)
			}
			deliver(dir, v)
		case frameMode:
			if len(b) != 1 || b[0] > modeJudge {
				c.conn.Close()
				return fmt.Errorf("the hub sent a bad mode frame")
			}
			steer(b[0] == modeJudge)
		case frameRefuse:
			c.conn.Close()
			return fmt.Errorf("the hub ended the session: %s", b)
		default:
			c.conn.Close()
			return fmt.Errorf("the hub sent an unknown frame %q", typ)
		}
	}
}

// Close tells the hub why the session ended and closes the connection;
// Run then returns nil.
func (c *Client) Close(reason string) {
	c.once.Do(func() {
		c.closing.Store(true)
		c.observe.close() // sendObserved sends what is queued, and ends
		<-c.sent
		c.mu.Lock()
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		if writeFrame(c.w, frameEnd, []byte(reason)) == nil {
			c.w.Flush()
		}
		c.mu.Unlock()
		c.conn.Close()
	})
}
