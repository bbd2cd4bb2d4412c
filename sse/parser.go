package sse

import "bytes"

// bom is U+FEFF in UTF-8. WHATWG: "One leading U+FEFF BYTE ORDER MARK
// character must be ignored if any are present."
var bom = []byte{0xEF, 0xBB, 0xBF}

// lineSpan is one line of the current block, as offsets from the block's
// first byte, without its terminator.
type lineSpan struct{ start, end int }

// Parser splits an event stream into blocks as its bytes arrive.
//
// Feed hands it the next chunk; Next then yields every block that chunk
// completes, and returns false once the chunk is used up. The bytes of a
// block that is still unfinished are copied into the parser, so a Parser
// holds at most MaxEventSize bytes plus one chunk. A block larger than
// MaxEventSize is not buffered: it is yielded in fragments, as its bytes
// arrive, flagged Oversized.
//
// Line terminators are LF, CRLF and CR. A block ends at the terminator of
// its blank line. When that terminator is a CR that is the last byte of a
// chunk, the block is yielded at once (a browser dispatches at the CR, and a
// proxy must not hold an event until the next byte arrives); an LF that then
// starts the next chunk completes the CRLF and is the first byte of the next
// block's Raw. Only Raw's split depends on chunking; the parsed fields and
// the concatenation of all Raw never do.
//
// A Parser is not safe for concurrent use. The zero value is ready to use,
// with DefaultMaxEventSize.
type Parser struct {
	// MaxEventSize bounds the bytes buffered for one block: 0 means
	// DefaultMaxEventSize, a negative value means no bound.
	MaxEventSize int

	in     []byte // the chunk being consumed
	scan   int    // next unexamined byte of in
	cur    int    // first byte of in that belongs to the current block
	nextCR int    // index of the next CR in in at or after scan, or len(in)

	pend      []byte     // earlier bytes of the current block (not yet yielded)
	blockLen  int        // bytes of the current block before in[cur:]
	lineStart int        // offset in the block where the current line starts
	lines     []lineSpan // complete lines of the current block
	oversized bool       // the current block outgrew MaxEventSize
	afterCR   bool       // the last byte consumed was a CR terminator

	started   bool // a byte of the stream has been seen
	firstLine bool // the current line is the stream's first (may start with a BOM)
	bomBlock  bool // the current block holds the stream's first line

	lastID []byte // WHATWG "last event ID buffer"
	data   []byte // joined data of a multi-line block
	blk    Block
}

// NewParser returns a Parser with the given MaxEventSize.
func NewParser(maxEventSize int) *Parser { return &Parser{MaxEventSize: maxEventSize} }

// Reset prepares the parser for a new stream, keeping its buffers.
func (p *Parser) Reset() {
	max := p.MaxEventSize
	pend, lines, data, lastID := p.pend[:0], p.lines[:0], p.data[:0], p.lastID[:0]
	*p = Parser{MaxEventSize: max, pend: pend, lines: lines, data: data, lastID: lastID}
}

// LastEventID returns the WHATWG last event ID buffer: the value of the last
// valid id field seen on the stream, which persists across blocks. The slice
// is valid until the next call on the parser.
func (p *Parser) LastEventID() []byte { return p.lastID }

func (p *Parser) limit() int {
	switch {
	case p.MaxEventSize == 0:
		return DefaultMaxEventSize
	case p.MaxEventSize < 0:
		return int(^uint(0) >> 1)
	}
	return p.MaxEventSize
}

// Feed hands the parser the next chunk of the stream. Call Next until it
// returns false before calling Feed again; the parser reads chunk until then
// and keeps no reference to it after.
func (p *Parser) Feed(chunk []byte) {
	p.in, p.scan, p.cur = chunk, 0, 0
	p.nextCR = -1
	if !p.started && len(chunk) > 0 {
		p.started, p.firstLine, p.bomBlock = true, true, true
	}
}

// Consumed returns how many bytes of the current chunk the blocks yielded
// so far cover. A block whose Raw is no longer than the growth of Consumed
// since the previous block lies in the chunk, at the bytes it covers;
// otherwise its Raw starts with bytes of earlier chunks.
func (p *Parser) Consumed() int { return p.cur }

// Buffered returns how many bytes of an unfinished block the parser holds.
func (p *Parser) Buffered() int { return len(p.pend) }

// Next yields the next block completed by the input fed so far. It returns
// false when the current chunk is used up; the bytes of an unfinished block
// are then kept (or, for an oversized block, yielded as a fragment first).
func (p *Parser) Next() (*Block, bool) {
	in := p.in
	for p.scan < len(in) {
		if p.afterCR {
			p.afterCR = false
			if in[p.scan] == '\n' { // the LF of a CRLF
				p.scan++
				p.lineStart = p.off(p.scan)
				continue
			}
		}
		term := p.findTerminator()
		if term < 0 {
			break
		}
		lineEnd := p.off(term)
		p.afterCR = in[term] == '\r'
		p.scan = term + 1
		if p.isBlankLine(lineEnd) {
			if p.afterCR && p.scan < len(in) && in[p.scan] == '\n' {
				p.afterCR = false // keep a CRLF whole when both bytes are here
				p.scan++
			}
			return p.finishBlock(), true
		}
		if !p.oversized {
			p.lines = append(p.lines, lineSpan{p.lineStart, lineEnd})
		}
		p.firstLine = false
		p.lineStart = p.off(p.scan)
	}
	return p.endOfChunk()
}

// findTerminator returns the index in p.in of the next CR or LF at or after
// p.scan, or -1.
func (p *Parser) findTerminator() int {
	in := p.in
	if p.nextCR < p.scan {
		if i := bytes.IndexByte(in[p.scan:], '\r'); i >= 0 {
			p.nextCR = p.scan + i
		} else {
			p.nextCR = len(in)
		}
	}
	if i := bytes.IndexByte(in[p.scan:p.nextCR], '\n'); i >= 0 {
		return p.scan + i
	}
	if p.nextCR < len(in) {
		return p.nextCR
	}
	return -1
}

// off converts an index into p.in into an offset in the current block.
func (p *Parser) off(i int) int { return p.blockLen + i - p.cur }

// isBlankLine reports whether the line from p.lineStart to lineEnd is empty,
// counting a BOM that opens the stream as nothing.
func (p *Parser) isBlankLine(lineEnd int) bool {
	n := lineEnd - p.lineStart
	if n == 0 {
		return true
	}
	if !p.firstLine || n != len(bom) || p.oversized {
		return false
	}
	for i := range bom {
		if p.byteAt(p.lineStart+i) != bom[i] {
			return false
		}
	}
	return true
}

// byteAt returns the byte at offset off of the current block.
func (p *Parser) byteAt(off int) byte {
	if off < len(p.pend) {
		return p.pend[off]
	}
	return p.in[p.cur+off-len(p.pend)]
}

// endOfChunk keeps the unfinished block's bytes, or yields them as a
// fragment when the block has outgrown the limit.
func (p *Parser) endOfChunk() (*Block, bool) {
	tail := p.in[p.cur:]
	if len(tail) == 0 {
		return nil, false
	}
	size := p.blockLen + len(tail)
	if !p.oversized && size <= p.limit() {
		p.pend = append(p.pend, tail...)
		p.blockLen, p.cur = size, len(p.in)
		return nil, false
	}
	b := p.resetBlock()
	b.Oversized, b.Partial = true, true
	b.Raw = p.joinRaw(tail)
	p.pend = p.pend[:0] // Raw keeps the bytes until the next call
	p.oversized = true
	p.cur = len(p.in)
	p.blockLen = size
	return b, true
}

// finishBlock yields the block that ends at p.scan.
func (p *Parser) finishBlock() *Block {
	raw := p.joinRaw(p.in[p.cur:p.scan])
	size := p.blockLen + p.scan - p.cur
	b := p.resetBlock()
	b.Raw = raw
	if p.oversized || size > p.limit() {
		b.Oversized = true
	} else {
		p.parseFields(b, raw, len(p.lines))
	}
	p.startBlock()
	return b
}

// joinRaw returns the block's earlier bytes followed by tail, copying only
// when there are earlier bytes.
func (p *Parser) joinRaw(tail []byte) []byte {
	if len(p.pend) == 0 {
		return tail
	}
	p.pend = append(p.pend, tail...)
	return p.pend
}

// resetBlock clears the Block the parser hands out.
func (p *Parser) resetBlock() *Block {
	p.blk = Block{}
	return &p.blk
}

// startBlock resets the per-block state after a block ended at p.scan.
func (p *Parser) startBlock() {
	p.cur = p.scan
	p.pend = p.pend[:0]
	p.blockLen, p.lineStart = 0, 0
	p.lines = p.lines[:0]
	p.oversized = false
	p.firstLine, p.bomBlock = false, false
}

// End reports the bytes left at the end of the stream that no blank line
// ended. The block has Incomplete set when it holds any line content (a lone
// LF completing a CRLF is not content); its fields are parsed for display but
// it never dispatches, and a last line cut off without a terminator does not
// change LastEventID. It returns false when nothing is left, which is also
// the case when the stream ended inside an oversized block: its fragments
// were all yielded already, the last with Partial set. Call End once, after
// Next has returned false for the last chunk.
func (p *Parser) End() (*Block, bool) {
	if len(p.pend) == 0 {
		return nil, false
	}
	raw := p.pend
	terminated := len(p.lines)
	if p.lineStart < len(raw) { // an unfinished last line
		p.lines = append(p.lines, lineSpan{p.lineStart, len(raw)})
	}
	b := p.resetBlock()
	b.Raw = raw
	b.Incomplete = len(p.lines) > 0
	p.parseFields(b, raw, terminated)
	b.Dispatch = false
	p.pend = p.pend[:0]
	p.lines = p.lines[:0]
	return b, true
}
