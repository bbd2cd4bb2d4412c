// Package hub is the socket protocol between `mcpscope wrap` and a running
// mcpscope (the hub): wrap sends each line it relays, the hub passes it
// through the engine (a proxy.Link) and sends back what to write.
//
// Frames are binary: a type byte, a big-endian uint32 payload length, the
// payload. wrap opens with a hello (protocol version, its window, the
// command line); the hub answers welcome (with the mode, below), or refuse with a message and
// closes. Then wrap sends line frames (a direction byte, the line without
// its newline) and the hub answers each with a verdict frame, in order per
// direction. A verdict for a line that goes on unchanged is 7 bytes: the
// line is never echoed.
//
// Lines need not wait for a verdict while the engine has nothing to
// decide (no rule in force, the stream not paused: proxy.Link.Steered).
// The hub tells wrap which mode applies with a mode frame right after
// welcome and again on each change: "judge", the round trip above, or
// "observe": wrap writes lines out at once, in whole blocks as it reads
// them, and sends copies after them in block frames that the hub only
// shows (proxy.Link.Observe). A hub that falls behind the blocks never
// slows the relay: wrap drops what does not fit its observation queue
// and says how much in an unobserved frame, shown as a notice.
//
// Flow control is wrap's: per direction it keeps at most a window of
// bytes (Cost) of lines sent and not yet written out. The hub holds no
// more than that per direction and disconnects a peer that sends more.
package hub

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/mcpscope/mcpscope/proxy"
)

// Version is the protocol version this build speaks; hello carries it and
// a hub refuses any other.
const Version = 3

// MaxLine is the longest line judged whole. Longer lines (a 50 MiB base64
// blob) are relayed byte for byte as they stream, never buffered; the hub
// is told only their size and first bytes (an observation flagged
// "oversized"), and rules do not apply to them. 4 MiB keeps the memory a
// wrapped session may hold small while passing every message seen in
// practice whole.
const MaxLine = 4 << 20

// DefaultWindow is the bytes (Cost) of lines in flight per direction that
// wrap allows by default: while a paused hub returns no verdicts, wrap
// holds at most this much before it stops reading.
const DefaultWindow = 1 << 20

// maxWindow is the largest window a hub accepts from a peer.
const maxWindow = 64 << 20

// maxFrame bounds a frame's payload: a line, or a verdict whose Forward
// and Back a rule may have made longer than the line.
const maxFrame = 4*MaxLine + 64

// OversizedPrefix is how much of an oversized line the hub is shown.
const OversizedPrefix = 1024

// Cost is what a line counts against a window: its bytes plus a fixed
// overhead, so a flood of empty lines is bounded too.
func Cost(line []byte) int { return len(line) + 64 }

const (
	frameHello    byte = 'H' // wrap→hub: version (1), window (4), command line
	frameWelcome  byte = 'W' // hub→wrap: the mode lines start in (see frameMode)
	frameRefuse   byte = 'R' // hub→wrap: why; the hub closes the connection
	frameLine     byte = 'L' // wrap→hub: direction (1), the line
	frameOversize byte = 'O' // wrap→hub: direction (1), size (8), the line's first bytes
	frameEnd      byte = 'E' // wrap→hub: why the session ended
	frameVerdict  byte = 'V' // hub→wrap: direction (1), kind (1), then for Replaced forward length (4) and forward, then back
	frameMode     byte = 'M' // hub→wrap: modeJudge or modeObserve
	frameBlock    byte = 'B' // wrap→hub: direction (1), when wrap read them (8, Unix ns), lines already written out, each ending in a newline
	frameMissed   byte = 'U' // wrap→hub: direction (1), lines (8), bytes (8) written out but not observed
)

// The modes a mode frame sets.
const (
	modeObserve byte = 0
	modeJudge   byte = 1
)

// Kind says what a Verdict does with its line.
type Kind byte

const (
	Unchanged Kind = iota // write the line as it came
	Replaced              // write Forward instead
	Dropped               // write nothing
)

// Verdict is what to do with one line, as the engine decided
// (proxy.Verdict, made explicit about "unchanged" so it needs no echo).
type Verdict struct {
	Kind    Kind
	Forward []byte // the line to write instead, for Replaced
	Back    []byte // lines to send back the way the line came ("" for most)
}

// verdictOf turns the engine's answer for line into a Verdict.
func verdictOf(line []byte, v proxy.Verdict) Verdict {
	out := Verdict{Kind: Replaced, Forward: v.Forward, Back: v.Back}
	switch {
	case v.Forward == nil:
		out.Kind, out.Forward = Dropped, nil
	case len(v.Forward) == len(line) && (len(line) == 0 || &v.Forward[0] == &line[0]):
		out.Kind, out.Forward = Unchanged, nil
	}
	return out
}

func dirByte(d proxy.Direction) byte {
	if d == proxy.ServerToClient {
		return 1
	}
	return 0
}

func dirOf(b byte) (proxy.Direction, error) {
	switch b {
	case 0:
		return proxy.ClientToServer, nil
	case 1:
		return proxy.ServerToClient, nil
	}
	return "", fmt.Errorf("bad direction %d", b)
}

// writeFrame writes one frame made of parts to w (buffered: the caller
// flushes).
func writeFrame(w *bufio.Writer, typ byte, parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var head [5]byte
	head[0] = typ
	binary.BigEndian.PutUint32(head[1:], uint32(n))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// frameReader reads frames, reusing one buffer: a payload is valid until
// the next read.
type frameReader struct {
	r   *bufio.Reader
	buf []byte
}

var errFrameTooLong = errors.New("frame longer than the protocol allows")

func (f *frameReader) next() (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(f.r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > maxFrame {
		return 0, nil, errFrameTooLong
	}
	if cap(f.buf) < int(n) {
		f.buf = make([]byte, n)
	}
	b := f.buf[:n]
	if _, err := io.ReadFull(f.r, b); err != nil {
		return 0, nil, io.ErrUnexpectedEOF
	}
	return head[0], b, nil
}

// encodeVerdict appends v's payload (after the direction) to dst.
func encodeVerdict(dst []byte, dir proxy.Direction, v Verdict) []byte {
	dst = append(dst, dirByte(dir), byte(v.Kind))
	if v.Kind == Replaced {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v.Forward)))
		dst = append(dst, v.Forward...)
	}
	return append(dst, v.Back...)
}

// decodeVerdict reads a verdict payload; Forward and Back are copies.
func decodeVerdict(b []byte) (proxy.Direction, Verdict, error) {
	if len(b) < 2 {
		return "", Verdict{}, errors.New("short verdict")
	}
	dir, err := dirOf(b[0])
	if err != nil {
		return "", Verdict{}, err
	}
	v := Verdict{Kind: Kind(b[1])}
	b = b[2:]
	switch v.Kind {
	case Unchanged, Dropped:
	case Replaced:
		if len(b) < 4 || int(binary.BigEndian.Uint32(b)) > len(b)-4 {
			return "", Verdict{}, errors.New("short verdict")
		}
		n := int(binary.BigEndian.Uint32(b))
		v.Forward = append([]byte{}, b[4:4+n]...)
		b = b[4+n:]
	default:
		return "", Verdict{}, fmt.Errorf("bad verdict kind %d", v.Kind)
	}
	if len(b) > 0 {
		v.Back = append([]byte{}, b...)
	}
	return dir, v, nil
}
