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

	"mcpscope/proxy"
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
	case typ != frameWelcome:
		conn.Close()
		return nil, fmt.Errorf("hub on %s: unexpected frame %q instead of welcome", path, typ)
	}
	return c, nil
}

// Send sends one line (without its newline) travelling in dir. It is
// buffered: Flush sends what is buffered. The line is not kept.
func (c *Client) Send(dir proxy.Direction, line []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return writeFrame(c.w, frameLine, []byte{dirByte(dir)}, line)
}

// Oversized tells the hub a line of size bytes starting with prefix went
// by in dir, after the lines sent before.
func (c *Client) Oversized(dir proxy.Direction, size int64, prefix []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	head := binary.BigEndian.AppendUint64([]byte{dirByte(dir)}, uint64(size))
	if err := writeFrame(c.w, frameOversize, head, prefix); err != nil {
		return err
	}
	return c.w.Flush()
}

// Flush sends what Send buffered.
func (c *Client) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Flush()
}

// Run reads the hub's verdicts and hands each to deliver, in order per
// direction, until the connection ends: nil after Close, else why the hub
// was lost.
func (c *Client) Run(deliver func(dir proxy.Direction, v Verdict)) error {
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
		c.mu.Lock()
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		if writeFrame(c.w, frameEnd, []byte(reason)) == nil {
			c.w.Flush()
		}
		c.mu.Unlock()
		c.conn.Close()
	})
}
