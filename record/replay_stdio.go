package record

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mcpscope/mcpscope/jsonrpc"
)

// Limits of ServeStdio.
const (
	// MaxStdioLine bounds one line the client sends (as a POST body is
	// bounded): a longer one is read to its end, dropped, and answered
	// with an error.
	MaxStdioLine = 32 << 20
	// maxStdioInFlight bounds the requests answered at once; while that
	// many are, ServeStdio reads nothing more.
	maxStdioInFlight = 64
)

// ServeStdio serves the recording as a stdio MCP server to one client:
// JSON-RPC messages, one per line, are read from in and answered on out,
// one message per line and nothing else. Requests are matched and answered
// as over HTTP (see Replayer): the connection's first request claims a
// recorded session (initialize's parameters first) and its requests take
// answers from that session only; what the server sent during a recorded
// request (progress, log messages, its own requests such as sampling) is
// sent again, paced as recorded, before the answer with the live id. The
// recorded session's standalone stream (what came on the HTTP GET stream,
// or outside any request on stdio) is played once the client sends
// notifications/initialized, or has its server/discover answered. A
// request the recording cannot answer gets a JSON-RPC error naming the
// closest recorded one; notifications and the client's answers get
// nothing; notifications/cancelled stops the answer it names.
//
// It returns nil when in ends (the answers in flight are finished first,
// the standalone stream is stopped) or ctx ends (everything stops), and
// an error when reading in or writing out fails. Answers are written by
// several goroutines, each line in one Write call; all of them have ended
// when ServeStdio returns, except the one reading in, which ends when in
// does (the caller closes it, or it reaches its end): a Read cannot be
// interrupted.
func (rp *Replayer) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c := &stdioConn{rp: rp, out: out, cancel: cancel, sem: make(chan struct{}, maxStdioInFlight), inflight: map[string]*answering{}}
	streamCtx, stopStream := context.WithCancel(ctx)
	c.streamCtx = streamCtx
	lines := make(chan stdioLine)
	go readStdio(ctx, in, lines)
	var err error
	for err == nil {
		select {
		case <-ctx.Done():
			err = context.Cause(ctx)
		case l, ok := <-lines:
			switch {
			case !ok:
				err = io.EOF
			case l.err != nil:
				err = fmt.Errorf("reading the client's messages (stdin): %w", l.err)
			case l.tooLong:
				c.fail("null", -32600, fmt.Sprintf("mcpscope replay: a message longer than %d bytes was dropped", MaxStdioLine))
			default:
				c.take(ctx, l.text)
			}
		}
	}
	stopStream()
	c.requests.Wait() // the answers in flight (at once if ctx ended)
	c.streams.Wait()
	if errors.Is(err, io.EOF) || ctx.Err() != nil && context.Cause(ctx) == ctx.Err() {
		return nil
	}
	return err
}

// stdioLine is one line read from the client, or why reading stopped.
type stdioLine struct {
	text    string
	tooLong bool
	err     error
}

// readStdio sends the lines of in until it ends (closing lines) or ctx
// does.
func readStdio(ctx context.Context, in io.Reader, lines chan<- stdioLine) {
	defer close(lines)
	br := bufio.NewReaderSize(in, 64<<10)
	for {
		var line []byte
		tooLong := false
		var err error
		for {
			var part []byte
			part, err = br.ReadSlice('\n')
			if !tooLong {
				line = append(line, part...)
				if len(line) > MaxStdioLine {
					line, tooLong = nil, true
				}
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		var l stdioLine
		switch text := strings.TrimSpace(string(line)); {
		case tooLong:
			l.tooLong = true
		case text != "":
			l.text = text
		case err == nil:
			continue // a blank line
		}
		if l.text != "" || l.tooLong {
			select {
			case lines <- l:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				select {
				case lines <- stdioLine{err: err}:
				case <-ctx.Done():
				}
			}
			return
		}
	}
}

// stdioConn is one client of ServeStdio.
type stdioConn struct {
	rp        *Replayer
	cancel    context.CancelCauseFunc
	streamCtx context.Context // ends with in: the standalone stream's

	outMu sync.Mutex
	out   io.Writer

	claimed bool   // the first request claimed a recorded session (only the reading goroutine touches these)
	sid     string // the live session minted for it, "" for none
	started bool   // the standalone stream started

	sem      chan struct{} // one per request being answered
	requests sync.WaitGroup
	streams  sync.WaitGroup

	mu       sync.Mutex
	inflight map[string]*answering // live request id → its answer being sent
}

// answering is a request whose answer is being sent.
type answering struct{ stop context.CancelFunc }

// take handles one line from the client.
func (c *stdioConn) take(ctx context.Context, text string) {
	msgs, _, ok := jsonrpc.Split(text)
	if !ok {
		c.fail("null", -32700, "mcpscope replay: not JSON: "+clip(text))
		return
	}
	for _, msg := range msgs {
		env := jsonrpc.Read(msg)
		switch env.Kind {
		case jsonrpc.Request:
			c.request(ctx, msg, env)
		case jsonrpc.Notification:
			switch env.Method {
			case "notifications/initialized":
				c.startStream()
			case "notifications/cancelled":
				var p struct {
					ID json.RawMessage `json:"requestId"`
				}
				if json.Unmarshal([]byte(env.Params), &p) == nil {
					c.mu.Lock()
					if a := c.inflight[string(p.ID)]; a != nil {
						a.stop()
					}
					c.mu.Unlock()
				}
			}
		case jsonrpc.Result, jsonrpc.Error: // the client's answer to a replayed server request
		default:
			if !json.Valid([]byte(msg)) {
				c.fail("null", -32700, "mcpscope replay: not JSON: "+clip(msg))
			} else {
				c.fail("null", -32600, "mcpscope replay: not a JSON-RPC message: "+clip(msg))
			}
		}
	}
}

// request starts answering one request, waiting while maxStdioInFlight
// are being answered.
func (c *stdioConn) request(ctx context.Context, msg string, env jsonrpc.Envelope) {
	key, token := requestKey(msg)
	rp := c.rp
	if !c.claimed {
		c.claimed = true
		rp.mu.Lock()
		if ls := rp.claim(key); ls != nil {
			c.sid = newSessionID()
			rp.bind(c.sid, ls)
		}
		rp.mu.Unlock()
	}
	ex, recorded, _ := rp.answerFor(c.sid, key, env.Method)
	if ex == nil {
		c.fail(env.ID, -32601, "mcpscope replay: no recorded request matches "+key+"; "+rp.closest(key))
		return
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	actx, stop := context.WithCancel(ctx)
	a := &answering{stop: stop}
	c.mu.Lock()
	c.inflight[env.ID] = a // a client reusing an id in flight cancels the newer answer only
	c.mu.Unlock()
	rw := rewriter{recordedID: recorded.id, liveID: env.ID, recordedToken: recorded.token, liveToken: token}
	discover := env.Method == "server/discover"
	c.requests.Add(1)
	go func() {
		defer c.requests.Done()
		defer func() { <-c.sem }()
		defer func() {
			c.mu.Lock()
			if c.inflight[env.ID] == a {
				delete(c.inflight, env.ID)
			}
			c.mu.Unlock()
			stop()
		}()
		answered := c.play(actx, ex, rw)
		if actx.Err() != nil {
			return
		}
		if !answered {
			c.fail(env.ID, -32603, "mcpscope replay: the recording holds no answer to "+key+" (its server never answered it)")
			return
		}
		if discover {
			c.startStream()
		}
	}()
}

// play sends what the server sent in a recorded exchange, paced as
// recorded, rewritten for the live request (rw), and reports whether that
// included the answer to it.
func (c *stdioConn) play(ctx context.Context, ex *recordedExchange, rw rewriter) (answered bool) {
	c.rp.pause(ctx, ex.latency)
	send := func(body string) bool {
		if body == "" || ctx.Err() != nil {
			return ctx.Err() == nil
		}
		line := rw.message(body)
		if rw.liveID != "" {
			if env := jsonrpc.Read(line); (env.Kind == jsonrpc.Result || env.Kind == jsonrpc.Error) && env.ID == rw.liveID {
				answered = true
			}
		}
		return c.send(line)
	}
	if len(ex.events) == 0 {
		for _, m := range ex.answer {
			if !send(m.body) {
				return answered
			}
		}
		return answered
	}
	last := ex.started.Add(ex.latency)
	for _, e := range ex.events {
		c.rp.pause(ctx, e.Time.Sub(last))
		last = e.Time
		if !send(e.Body) {
			return answered
		}
	}
	return answered
}

// startStream plays the next standalone stream of the connection's
// recorded session, once.
func (c *stdioConn) startStream() {
	c.mu.Lock()
	started := c.started
	c.started = true
	c.mu.Unlock()
	if started {
		return
	}
	ex := c.rp.nextGet(c.sid)
	if ex == nil {
		return
	}
	c.streams.Add(1)
	go func() {
		defer c.streams.Done()
		c.play(c.streamCtx, ex, rewriter{})
	}()
}

// fail answers id (JSON text; "null" when unknown) with a JSON-RPC error.
func (c *stdioConn) fail(id string, code int, message string) {
	msg, _ := json.Marshal(message)
	c.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":%d,"message":%s}}`, id, code, msg))
}

// send writes one message as one line; false when it could not (out
// failed: the connection is then ending).
func (c *stdioConn) send(msg string) bool {
	if strings.ContainsAny(msg, "\r\n") { // a recorded HTTP body may be pretty-printed
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(msg)) != nil {
			return true // not JSON: not something to send a stdio client
		}
		msg = compact.String()
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if _, err := io.WriteString(c.out, msg+"\n"); err != nil {
		c.cancel(fmt.Errorf("writing to the client (stdout): %w", err))
		return false
	}
	return true
}

// nextGet hands out the next recorded standalone stream of the live
// session sid ("" for none: of the whole recording), or nil.
func (rp *Replayer) nextGet(sid string) *recordedExchange {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if ls := rp.live[sid]; ls != nil {
		if ls.getsOut < len(ls.rec.gets) {
			ls.getsOut++
			return ls.rec.gets[ls.getsOut-1]
		}
		return nil
	}
	if rp.getsOut < len(rp.idx.gets) {
		rp.getsOut++
		return rp.idx.gets[rp.getsOut-1]
	}
	return nil
}

// clip shortens untrusted text for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
