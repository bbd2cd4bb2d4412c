package proxy

import (
	"bytes"
	"errors"
	"io"
)

// A GET stream's chunked body, decoded in the reader's own buffer.
//
// Written here, not taken from net/http, for a measured reason: net/http's
// chunked reader reads through the connection's bufio.Reader (1 KiB, see
// upstreamReadBuffer) and returns at the first chunk boundary it cannot see
// in that buffer. An SSE upstream writes each event as a chunk of its own,
// so a busy stream of 256 B events was read about 1 KiB at a time: one
// read(2), one write(2) to the client and one hand-off to the bus per four
// events, a quarter of the process's CPU on 16 streams (issue 19,
// docs/BENCHMARKS.md). dechunker reads as much as the caller's buffer
// holds (64 KiB or a lease, once the stream is busy) in one read and
// strips the framing in place, so the read buffer grows with the load and
// an idle stream holds nothing more. Its checks follow net/http's
// (net/http/internal/chunked.go): lines end in CRLF with no other CR, a
// size line is at most maxChunkLine bytes with its CRLF and at most 16 hex
// digits, extensions are ignored, framing is bounded against the data it
// carries, and an end before the last chunk is io.ErrUnexpectedEOF.
// Trailers after the last chunk are not read: the stream's connection is
// never reused.

// maxChunkLine bounds a chunk-size line, extensions and CRLF included
// (net/http's: its line must fit its 4 KiB bufio.Reader).
const maxChunkLine = 4096

// maxChunkOverhead bounds the framing a sender may send beyond 16 bytes per
// chunk plus twice the chunk's data (net/http's rule against a sender that
// pads tiny chunks with long extensions).
const maxChunkOverhead = 16 << 10

var (
	errChunkMalformed = errors.New("malformed chunked encoding")
	errChunkLineLong  = errors.New("chunk-size line too long")
	errChunkOverhead  = errors.New("chunked encoding contains too much non-data")
)

type dechunkState uint8

const (
	chunkSize dechunkState = iota // reading a chunk-size line
	chunkData                     // left bytes of data to come
	chunkCR                       // the CR after a chunk's data
	chunkLF                       // the LF after it
)

// dechunker reads a chunked body from src. Read returns data only; its
// error is sticky, io.EOF after the last chunk. It is not safe for
// concurrent use.
type dechunker struct {
	src    io.Reader
	state  dechunkState
	left   uint64 // data bytes left in the current chunk
	line   []byte // a size line split across reads, without its LF
	excess int64  // framing beyond the allowance, as net/http counts it
	err    error
}

func newDechunker(src io.Reader) *dechunker { return &dechunker{src: src} }

// Read reads once from src into p, as much as p holds, and returns the
// data in it. It reads again only when a read brought framing and no data,
// so it blocks no longer than src does for the next bytes.
func (d *dechunker) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, d.err
	}
	for d.err == nil {
		m, err := d.src.Read(p)
		n := d.decode(p[:m])
		if d.err == nil && err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // the last chunk never came
			}
			d.err = err
		}
		if n > 0 {
			return n, d.err
		}
	}
	return 0, d.err
}

// decode strips the framing from raw, moving its data to the front, and
// returns the data's length. It sets d.err at the last chunk (io.EOF) or
// at malformed framing; bytes after either are dropped.
func (d *dechunker) decode(raw []byte) int {
	n := 0
	for i := 0; i < len(raw) && d.err == nil; {
		switch d.state {
		case chunkData:
			k := min(uint64(len(raw)-i), d.left)
			n += copy(raw[n:], raw[i:i+int(k)])
			i += int(k)
			d.left -= k
			if d.left == 0 {
				d.state = chunkCR
			}
		case chunkCR:
			if raw[i] != '\r' {
				d.err = errChunkMalformed
				break
			}
			i++
			d.state = chunkLF
		case chunkLF:
			if raw[i] != '\n' {
				d.err = errChunkMalformed
				break
			}
			i++
			d.state = chunkSize
		case chunkSize:
			lf := bytes.IndexByte(raw[i:], '\n')
			if lf < 0 {
				d.keepLine(raw[i:])
				i = len(raw)
				break
			}
			line := raw[i : i+lf]
			if len(d.line) > 0 {
				d.keepLine(line)
				line = d.line
			}
			i += lf + 1
			if d.err == nil {
				d.beginChunk(line)
			}
			d.line = d.line[:0]
		}
	}
	return n
}

// keepLine keeps part of a size line that continues in the next read.
func (d *dechunker) keepLine(part []byte) {
	if len(d.line)+len(part) >= maxChunkLine { // and its LF is still to come
		d.err = errChunkLineLong
		return
	}
	d.line = append(d.line, part...)
}

// beginChunk reads a size line (without its LF) and starts its chunk.
func (d *dechunker) beginChunk(line []byte) {
	if len(line)+1 > maxChunkLine {
		d.err = errChunkLineLong
		return
	}
	if len(line) == 0 || bytes.IndexByte(line, '\r') != len(line)-1 {
		d.err = errChunkMalformed // a bare LF, or a CR inside the line
		return
	}
	line = line[:len(line)-1]
	d.excess += int64(len(line)) + 2 // the line, and the CRLF after the data (as net/http counts)
	line = bytes.TrimRight(line, " \t")
	line, _, _ = bytes.Cut(line, []byte(";"))
	size, err := parseChunkSize(line)
	if err != nil {
		d.err = err
		return
	}
	d.excess = max(d.excess-16-2*int64(min(size, 1<<40)), 0)
	if d.excess > maxChunkOverhead {
		d.err = errChunkOverhead
		return
	}
	if size == 0 {
		d.err = io.EOF
		return
	}
	d.left, d.state = size, chunkData
}

// parseChunkSize parses a chunk size: 1 to 16 hex digits.
func parseChunkSize(v []byte) (uint64, error) {
	if len(v) == 0 {
		return 0, errors.New("empty hex number for chunk length")
	}
	if len(v) > 16 {
		return 0, errors.New("http chunk length too large")
	}
	var n uint64
	for _, b := range v {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b -= 'a' - 10
		case 'A' <= b && b <= 'F':
			b -= 'A' - 10
		default:
			return 0, errors.New("invalid byte in chunk length")
		}
		n = n<<4 | uint64(b)
	}
	return n, nil
}
