package hub

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// helloTimeout bounds how long a connection may take to say hello.
const helloTimeout = 5 * time.Second

// Server is the hub side: each connection from a wrap becomes one Link of
// Proxy (a stdio session named after the wrapped command), whose lines a
// Runner passes through the engine, so the UI, the headless printer, the
// recorder, the control API, pause and the rules see and steer it as any
// other session.
type Server struct {
	Proxy *proxy.Proxy

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Serve accepts connections on ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.ln = ln
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	s.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			return fmt.Errorf("hub: accepting: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops accepting, ends every connection (their Links close, "hub
// stopped") and waits for their goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serveConn runs one wrap connection until it ends.
func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
	fr := &frameReader{r: bufio.NewReaderSize(c, 64<<10)}
	w := bufio.NewWriterSize(c, 64<<10)
	refuse := func(msg string) {
		writeFrame(w, frameRefuse, []byte(msg))
		w.Flush()
	}
	c.SetReadDeadline(time.Now().Add(helloTimeout))
	typ, b, err := fr.next()
	if err != nil || typ != frameHello || len(b) < 5 {
		refuse("mcpscope hub: expected a hello frame")
		return
	}
	if b[0] != Version {
		refuse(fmt.Sprintf("mcpscope hub: wrap speaks protocol version %d, this hub speaks %d: run the same mcpscope version for both", b[0], Version))
		return
	}
	window := int(binary.BigEndian.Uint32(b[1:5]))
	if window <= 0 || window > maxWindow {
		refuse(fmt.Sprintf("mcpscope hub: a window of %d bytes is out of range (1..%d)", window, maxWindow))
		return
	}
	name := string(b[5:])
	c.SetReadDeadline(time.Time{})

	link := s.Proxy.OpenLink(proxy.LinkInfo{Name: name})
	r := NewRunner(s.Proxy, link, window)
	vw := newVerdictWriter(c)
	mode := modeOf(link.Steered())
	vw.frame(frameWelcome, []byte{mode})
	r.Start(vw.verdict)
	steerCtx, stopSteer := context.WithCancel(context.Background())
	steered := make(chan struct{})
	go func() {
		defer close(steered)
		link.WatchSteer(steerCtx, func(judge bool) {
			if now := modeOf(judge); now != mode {
				mode = now
				vw.frame(frameMode, []byte{mode})
			}
		})
	}()
	reason := s.readLines(fr, r, link)
	stopSteer()
	<-steered
	r.Close()
	if reason.refuse != "" {
		vw.frame(frameRefuse, []byte(reason.refuse))
	}
	vw.close()
	link.Close(reason.text)
}

func modeOf(judge bool) byte {
	if judge {
		return modeJudge
	}
	return modeObserve
}

type endReason struct{ text, refuse string }

// readLines reads a connection's frames into r until it ends, and says
// why.
func (s *Server) readLines(fr *frameReader, r *Runner, link *proxy.Link) endReason {
	var arena arena
	for {
		typ, b, err := fr.next()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return endReason{text: "wrap lost: its connection to the hub closed"}
			}
			return endReason{text: "wrap lost: reading its connection: " + err.Error()}
		}
		switch typ {
		case frameBlock, frameMissed:
			if err := observeFrame(typ, b, link); err != nil {
				return endReason{text: "wrap sent a bad frame", refuse: "mcpscope hub: " + err.Error()}
			}
		case frameLine, frameOversize:
			if len(b) < 1 {
				return endReason{text: "wrap sent a bad frame", refuse: "mcpscope hub: empty line frame"}
			}
			dir, err := dirOf(b[0])
			if err != nil {
				return endReason{text: "wrap sent a bad frame", refuse: "mcpscope hub: " + err.Error()}
			}
			if typ == frameOversize {
				if len(b) < 9 {
					return endReason{text: "wrap sent a bad frame", refuse: "mcpscope hub: short oversize frame"}
				}
				r.Oversized(dir, int64(binary.BigEndian.Uint64(b[1:9])), b[9:])
				continue
			}
			if err := r.Send(dir, arena.cut(b[1:])); err != nil {
				return endReason{text: "wrap disconnected: " + err.Error(), refuse: "mcpscope hub: disconnected: " + err.Error()}
			}
		case frameEnd:
			return endReason{text: string(b)}
		default:
			return endReason{text: "wrap sent a bad frame", refuse: fmt.Sprintf("mcpscope hub: unknown frame type %q", typ)}
		}
	}
}

// observeFrame shows what a block or missed frame says went by.
func observeFrame(typ byte, b []byte, link *proxy.Link) error {
	if len(b) < 1 {
		return errors.New("empty block frame")
	}
	dir, err := dirOf(b[0])
	if err != nil {
		return err
	}
	if typ == frameMissed {
		if len(b) != 17 {
			return errors.New("bad missed frame")
		}
		link.Unobserved(dir, int64(binary.BigEndian.Uint64(b[1:9])), int64(binary.BigEndian.Uint64(b[9:])))
		return nil
	}
	if len(b) < 9 {
		return errors.New("bad block frame")
	}
	at := time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9])))
	EachLine(b[9:], func(line []byte) { link.Observe(dir, line, at) })
	return nil
}

// arena hands out copies of lines cut from 64 KiB blocks: one allocation
// per block of small lines instead of one per line. A block is freed
// when none of its lines is held any more.
type arena []byte

func (a *arena) cut(b []byte) []byte {
	const block = 64 << 10
	if len(b) > cap(*a)-len(*a) {
		if len(b) > block/4 {
			return append([]byte(nil), b...)
		}
		*a = make([]byte, 0, block)
	}
	start := len(*a)
	*a = append(*a, b...)
	return (*a)[start:len(*a):len(*a)]
}
