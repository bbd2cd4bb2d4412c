package stdio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/internal/backlog"
	"github.com/mcpscope/mcpscope/proxy"
)

// readBuffer is the read size of each source; lines up to hub.MaxLine are
// gathered from several reads.
const readBuffer = 64 << 10

// output is a place lines are written: the server's stdin or the client's
// stdout. Both directions may write to it (a line's Back goes the other
// way), so writes take its lock, a line at a time.
type output struct {
	mu   sync.Mutex
	w    *bufio.Writer
	raw  io.Writer // what w writes to: whole blocks go straight there
	name string    // "the server's stdin", for errors
	err  error     // the first write error; later writes are dropped
	lost func(error)
}

func newOutput(w io.Writer, name string) *output {
	return &output{w: bufio.NewWriterSize(w, readBuffer), raw: w, name: name}
}

// write writes b and, if nl, a newline.
func (o *output) write(b []byte, nl bool) {
	o.mu.Lock()
	o.writeLocked(b, nl)
	o.mu.Unlock()
}

func (o *output) writeLocked(b []byte, nl bool) {
	if o.err != nil {
		return
	}
	_, err := o.w.Write(b)
	if err == nil && nl {
		err = o.w.WriteByte('\n')
	}
	o.fail(err)
}

// backlog starts a Backlog writing to o.
func (o *output) backlog() *backlog.Backlog {
	return backlog.New(func(lines []byte) {
		o.write(lines, false) // dropped once the output failed
		o.flush()
	}, backlog.Max)
}

func (o *output) flush() {
	o.mu.Lock()
	if o.err == nil {
		o.fail(o.w.Flush())
	}
	o.mu.Unlock()
}

func (o *output) fail(err error) {
	if err != nil && o.err == nil {
		o.err = fmt.Errorf("writing %s: %w", o.name, err)
		if o.lost != nil {
			o.lost(o.err)
		}
	}
}

// pipe is one direction of the relay: src's lines, through the window and
// the judge, to out. Back lines of a verdict go to back.
type pipe struct {
	dir     proxy.Direction
	src     *bufio.Reader
	src0    io.Reader // what src reads
	srcName string    // "the client's stdin", for errors
	out     *output
	back    *backlog.Backlog // Back lines of verdicts: to the other direction's output
	win     *window
	r       *relay
	arena   []byte // lines are cut from it: one allocation per 64 KiB of small lines
	readErr error  // why read ended, if not EOF
}

// read reads lines until the source ends, and closes the window.
func (p *pipe) read() {
	defer p.win.close()
	for {
		if p.r.direct() {
			if err := p.relayBlock(); err != nil {
				p.setErr(err)
				return
			}
			continue
		}
		line, nl, long, err := p.readLine()
		if long != nil {
			if err = p.relayOversized(long); err != nil {
				p.setErr(err)
				return
			}
			continue
		}
		if len(line) > 0 || nl {
			judge := p.r.judge != nil && len(line) > 0 && !p.r.lost.Load()
			e := &entry{line: line, nl: nl}
			if judge && p.win.full(hub.Cost(line)) {
				p.flushJudge() // what is sent must reach the judge before this waits for its verdicts
			}
			send, ok := p.win.push(e, judge)
			if !ok {
				return
			}
			if send {
				if serr := p.r.judge.Send(p.dir, line); serr != nil {
					p.r.lose(serr)
				}
			}
		}
		if p.src.Buffered() == 0 {
			p.flushJudge() // before the read that may wait
		}
		if err != nil {
			p.setErr(err)
			return
		}
	}
}

// errAborted ends a read loop whose window was aborted.
var errAborted = errors.New("aborted")

// relayBlock is the relay when no line waits for a verdict (no judge, or
// one that said it need not judge): the whole lines buffered from the
// source go out in one write, as cat would copy them, and then to the
// judge to observe. It reads when no whole line is buffered; a line longer
// than the read buffer goes through readLine. Lines judged before wait to
// be written first.
func (p *pipe) relayBlock() error {
	if !p.win.empty() {
		p.flushJudge() // the lines sent must reach the judge before this waits for their verdicts
		if !p.win.awaitEmpty() {
			return errAborted
		}
	}
	for {
		if !p.r.direct() {
			return nil // the judge wants lines again, from the first one not yet written
		}
		n := p.src.Buffered()
		buf, _ := p.src.Peek(n)
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			p.forward(buf[:i+1], nil)
			p.src.Discard(i + 1)
			return nil
		}
		if n == readBuffer {
			return p.relayLongLine()
		}
		if n == 0 {
			p.flushJudge() // before the read that may wait: counts of lines not observed go out
		}
		if _, err := p.src.Peek(n + 1); err != nil {
			if p.src.Buffered() > n {
				continue // bytes came with the error: relay their lines first
			}
			if n > 0 { // the last line, with no newline
				p.forward(buf, nil)
				p.src.Discard(n)
			}
			return err
		}
	}
}

// relayLongLine relays one line longer than the read buffer, judge or not.
func (p *pipe) relayLongLine() error {
	line, nl, long, err := p.readLine()
	if long != nil {
		if err := p.relayOversized(long); err != nil {
			return err
		}
		return nil
	}
	var newline []byte
	if nl {
		newline = []byte{'\n'}
	}
	p.forward(line, newline)
	return err
}

// forward writes block (lines, each but maybe the last with its newline)
// and then tail out, notes the requests and answers among them, and hands
// them to the judge to observe. The judge gets them before the write, with
// the time: the other direction's relay may read the peer's answer as soon
// as the peer has block, and the answer must not be observed, or stamped,
// before its request.
func (p *pipe) forward(block, tail []byte) {
	if p.r.judge != nil && !p.r.lost.Load() {
		p.r.judge.Observe(p.dir, block, time.Now())
	}
	if p.dir == proxy.ClientToServer || p.r.pending.n.Load() > 0 {
		hub.EachLine(block, func(line []byte) {
			if p.dir == proxy.ClientToServer {
				p.r.pending.sent(line)
			} else {
				p.r.pending.answered(line)
			}
		})
	}
	p.out.mu.Lock()
	if p.out.err == nil && p.out.w.Buffered() == 0 && len(tail) == 0 {
		_, err := p.out.raw.Write(block) // one write, no copy into w
		p.out.fail(err)
	} else {
		p.out.writeLocked(block, false)
		p.out.writeLocked(tail, false)
		if p.out.err == nil {
			p.out.fail(p.out.w.Flush())
		}
	}
	p.out.mu.Unlock()
}

func (p *pipe) flushJudge() {
	if p.r.judge != nil && !p.r.lost.Load() {
		if err := p.r.judge.Flush(); err != nil {
			p.r.lose(err)
		}
	}
}

func (p *pipe) setErr(err error) {
	if err != nil && !errors.Is(err, io.EOF) {
		p.readErr = fmt.Errorf("reading %s: %w", p.srcName, err)
	}
}

// readLine returns the next line without its newline (nl says whether it
// had one), cut from the arena; or, for a line longer than hub.MaxLine,
// long: its first hub.MaxLine and more bytes, the rest still unread.
func (p *pipe) readLine() (line []byte, nl bool, long []byte, err error) {
	var acc []byte
	for {
		frag, err := p.src.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(acc)+len(frag) > hub.MaxLine {
				return nil, false, append(acc, frag...), nil
			}
			if len(acc)+len(frag) > cap(acc) { // grow by doubling, to MaxLine and a read at most
				grown := make([]byte, len(acc), min(max(2*cap(acc), 2*readBuffer), hub.MaxLine+readBuffer))
				acc = append(grown[:0], acc...)
			}
			acc = append(acc, frag...)
			continue
		}
		if n := len(frag); n > 0 && frag[n-1] == '\n' {
			frag, nl = frag[:n-1], true
		}
		if acc != nil {
			frag = append(acc, frag...)
		}
		return p.cut(frag), nl, nil, err
	}
}

// cut copies b into the arena.
func (p *pipe) cut(b []byte) []byte {
	if len(b) > cap(p.arena)-len(p.arena) {
		if len(b) > readBuffer/4 {
			return append([]byte(nil), b...)
		}
		p.arena = make([]byte, 0, readBuffer)
	}
	start := len(p.arena)
	p.arena = append(p.arena, b...)
	return p.arena[start:len(p.arena):len(p.arena)]
}

// relayOversized writes a line too long to judge straight to out, as it
// streams from src, after every line before it: head is what was read of
// it so far. The judge is told its size and first bytes.
func (p *pipe) relayOversized(head []byte) error {
	if !p.win.awaitEmpty() {
		return nil
	}
	prefix := append([]byte(nil), head[:min(len(head), hub.OversizedPrefix)]...)
	idHead := head[:min(len(head), 64<<10)] // enough to find the id of an answer
	size := int64(len(head))
	p.out.mu.Lock()
	p.out.writeLocked(head, false)
	var err error
	for {
		var frag []byte
		frag, err = p.src.ReadSlice('\n')
		size += int64(len(frag))
		p.out.writeLocked(frag, false)
		if !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
	}
	if p.out.err == nil {
		p.out.fail(p.out.w.Flush())
	}
	p.out.mu.Unlock()
	if err == nil {
		size-- // the newline
	}
	if p.dir == proxy.ServerToClient {
		p.r.pending.answeredPrefix(idHead)
	}
	if p.r.judge != nil && !p.r.lost.Load() {
		if jerr := p.r.judge.Oversized(p.dir, size, prefix); jerr != nil {
			p.r.lose(jerr)
		}
	}
	return err
}

// write writes the window's lines as they are judged, until the window
// closes (or aborts), flushing whenever the next line is not yet ready.
func (p *pipe) write() {
	for {
		e, more := p.win.pop()
		if e == nil {
			break
		}
		var sent []byte
		switch e.v.Kind {
		case hub.Unchanged:
			sent = e.line
			p.out.write(e.line, e.nl)
		case hub.Replaced:
			sent = e.v.Forward
			p.out.write(e.v.Forward, true)
		}
		if len(e.v.Back) > 0 {
			p.back.Put(e.v.Back)
		}
		if sent != nil {
			if p.dir == proxy.ClientToServer {
				p.r.pending.sent(sent)
			} else {
				p.r.pending.answered(sent)
			}
		}
		p.win.done(e)
		if !more {
			p.out.flush()
		}
	}
	p.out.flush()
}
