package proxy

import (
	"net"
	"sync"
	"time"
)

// clientConns are the client connections of the streams handed over
// (handover.go), which the http.Server no longer tracks, each with what
// ends its stream when the client is gone.
//
// A goroutine per stream blocked reading its connection would notice a
// client leaving at once, as the server's background read did, but costs
// every idle stream a goroutine (a 2 KiB stack and its descriptor). Instead
// one goroutine, running while any stream is handed over, probes every
// connection each clientProbeInterval without blocking (probeClient): a
// client that closes its connection is noticed within the interval, and a
// stream that writes notices sooner, when writing fails. Where a
// connection cannot be probed so (not a socket, or not on this platform),
// a goroutine reads it (watchClient).
type clientConns struct {
	mu    sync.Mutex
	conns map[net.Conn]tracked
	stop  chan struct{} // closed when the probing goroutine must end: nothing to probe
	// closed is set by closeAll: the proxy is shutting down, and a stream
	// handed over later (a GET answered meanwhile) ends at once.
	closed bool
}

// tracked is a connection's stream: its session (scope), and what ends it
// when the client is gone, nil once called or where a goroutine watches the
// connection (watchClient).
type tracked struct {
	scope string
	gone  func()
}

// clientProbeInterval is how often the client connections of streams
// handed over are probed: how long an idle stream may outlive its client.
var clientProbeInterval = 500 * time.Millisecond

// add tracks conn, whose stream is in session scope; gone ends the stream. Once closeAll has run, it closes
// conn and ends the stream instead.
func (c *clientConns) add(conn net.Conn, scope string, gone func()) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		conn.Close()
		gone()
		return
	}
	defer c.mu.Unlock()
	if !probeable(conn) {
		c.track(conn, tracked{scope: scope})
		go watchClient(conn, gone)
		return
	}
	c.track(conn, tracked{scope: scope, gone: gone})
	if c.stop == nil {
		c.stop = make(chan struct{})
		go c.probe(c.stop, clientProbeInterval) // read under the lock
	}
}

func (c *clientConns) track(conn net.Conn, t tracked) {
	if c.conns == nil {
		c.conns = make(map[net.Conn]tracked)
	}
	c.conns[conn] = t
}

// remove stops tracking conn, once its stream has ended.
func (c *clientConns) remove(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.conns, conn)
	c.stopIfIdle()
}

// stopIfIdle ends the probing goroutine when no connection is left to probe.
func (c *clientConns) stopIfIdle() {
	if c.stop == nil {
		return
	}
	for _, t := range c.conns {
		if t.gone != nil {
			return
		}
	}
	close(c.stop)
	c.stop = nil
}

// probe probes every probeable connection each interval until stop is
// closed, and ends the streams whose clients are gone.
func (c *clientConns) probe(stop chan struct{}, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var conns []net.Conn
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		conns = c.probeWhere(conns, 0, func(tracked) bool { return true })
	}
}

// probeScope probes at once the connections of session scope's streams and
// ends those whose clients are gone: a new stream of the session (a client
// resuming or reconnecting) must not find the old one still open upstream,
// which may refuse a second (go-sdk answers 409). A session has one such
// stream as clients use it; at most maxScopeProbes are probed, so a client
// that opens thousands in one session does not make each new one probe
// them all (that was quadratic: 2,000 streams of one session cost 12 KiB
// of garbage each and twice the time to open).
func (c *clientConns) probeScope(scope string) {
	var buf [maxScopeProbes]net.Conn
	c.probeWhere(buf[:0], maxScopeProbes, func(t tracked) bool { return t.scope == scope })
}

const maxScopeProbes = 4

// probeWhere probes the probeable connections whose streams match (at most
// limit of them, if limit > 0), and ends those whose clients are gone. It probes outside the lock, on a copy of the list
// (in conns, returned emptied for reuse), so adding and removing streams
// never waits for a probe.
func (c *clientConns) probeWhere(conns []net.Conn, limit int, match func(tracked) bool) []net.Conn {
	c.mu.Lock()
	for conn, t := range c.conns {
		if limit > 0 && len(conns) == limit {
			break
		}
		if t.gone != nil && match(t) {
			conns = append(conns, conn)
		}
	}
	c.mu.Unlock()
	for i, conn := range conns {
		conns[i] = nil
		if probeClient(conn) {
			continue
		}
		c.mu.Lock()
		t := c.conns[conn]
		gone := t.gone
		if gone != nil { // not removed meanwhile
			t.gone = nil // its stream removes it when it ends
			c.conns[conn] = t
		}
		c.mu.Unlock()
		if gone != nil {
			gone()
		}
	}
	return conns[:0]
}

// closeAll closes every connection and ends its stream, and every one
// added from now on (see add).
func (c *clientConns) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for conn, t := range c.conns {
		conn.Close()
		if t.gone != nil {
			t.gone()
		}
	}
}

// watchClient reads the client's connection until it fails (the client
// closed it, or the stream did) and then calls gone. The client sends
// nothing after its request; what it does send is dropped.
func watchClient(conn net.Conn, gone func()) {
	var b [64]byte
	for {
		if _, err := conn.Read(b[:]); err != nil {
			gone()
			return
		}
	}
}

// CloseStreams closes the client connections of the streams handed over to
// goroutines of their own (long-lived GET streams on HTTP/1.1), which the
// http.Server no longer tracks: they end as if their clients had left, and
// so does every stream handed over after it (the proxy is shutting down).
// The server from NewServer calls it on Shutdown, and Drain calls it.
func (p *Proxy) CloseStreams() { p.clientConns.closeAll() }
