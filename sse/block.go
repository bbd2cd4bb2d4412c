// Package sse is an incremental, byte-preserving parser and a small encoder
// for the Server-Sent Events wire format (WHATWG HTML, section 9.2
// "Server-sent events", https://html.spec.whatwg.org/multipage/server-sent-events.html).
//
// The parser is push-based: it is fed the chunks a proxy is already
// forwarding and yields every block between blank lines together with the
// exact bytes it was made of, so a caller can forward an event verbatim and
// re-encode only what it changed. It knows nothing of MCP.
//
// It is written here rather than taken from a library because the libraries
// we know (tmaxmax/go-sse, r3labs/sse, the go-sdk's own scanner) read from an
// io.Reader, normalise line endings and drop comments and non-dispatching
// blocks; a transparent proxy needs the opposite: the raw bytes of every
// block, fed from the buffer it already holds, with no second read.
package sse

// DefaultMaxEventSize is the block size above which a Parser stops buffering
// a block and passes it on in fragments (see Block.Oversized).
const DefaultMaxEventSize = 1 << 20 // 1 MiB

// Block is one block of an event stream: the lines up to and including the
// blank line that ends it (WHATWG: "If the line is empty (a blank line)
// Dispatch the event"), or a fragment of one when it is oversized, or the
// trailing bytes at the end of a stream that no blank line ended.
//
// All byte slices alias the parser's or the caller's buffers and are valid
// only until the next call to Parser.Feed, Parser.Next or Parser.End. Copy
// what must outlive that.
type Block struct {
	// Raw holds the exact bytes of the block (or fragment) as received,
	// including its line terminators, a leading byte order mark and the LF of
	// a CRLF whose CR ended the previous block. Concatenating Raw of every
	// block a parser yields, in order, reproduces the input exactly.
	Raw []byte

	// ID is the value of the last "id" field of the block whose value does
	// not contain U+0000 NULL (WHATWG: "If the field value does not contain
	// U+0000 NULL, then set the last event ID buffer to the field value.
	// Otherwise, ignore the field."). HasID reports whether there was one; an
	// id field with an empty value has HasID true and sets the last event ID
	// to the empty string.
	ID    []byte
	HasID bool

	// Event is the value of the last "event" field, empty if none (a
	// dispatching block with no event field is of type "message").
	Event []byte

	// Data is the data buffer: the values of the "data" fields joined by LF,
	// without the final LF (WHATWG: "If the data buffer's last character is
	// a U+000A LINE FEED (LF) character, then remove the last character").
	Data []byte

	// Retry is the value of the last "retry" field made of ASCII digits only
	// (WHATWG: "If the field value consists of only ASCII digits, then
	// interpret the field value as an integer in base ten"); HasRetry reports
	// whether there was one. Values that overflow int64 are clamped.
	Retry    int64
	HasRetry bool

	// Comments counts the lines starting with ':' (keepalives).
	Comments int

	// Dispatch reports whether a browser would dispatch an event for this
	// block: at least one data field was present (WHATWG: "If the data
	// buffer is an empty string, set the data buffer and the event type
	// buffer to the empty string and return"). An empty "data:" line
	// dispatches an event with empty data.
	Dispatch bool

	// Oversized marks a fragment of a block larger than the parser's
	// MaxEventSize. Such a block is yielded in pieces as its bytes arrive,
	// never buffered whole; its fields are not parsed (ID, Event, Data and
	// Retry are empty, Dispatch is false). Partial is true on every fragment
	// but the last.
	Oversized bool
	Partial   bool

	// Incomplete marks the bytes left at the end of a stream with no blank
	// line after them (returned by Parser.End). WHATWG: "Once the end of the
	// file is reached, any pending data must be discarded", so such a block
	// never dispatches; its fields are still parsed for display.
	Incomplete bool
}

// IsComment reports whether the block is made of comment lines only, the
// usual keepalive (": ping\n\n").
func (b *Block) IsComment() bool {
	return b.Comments > 0 && !b.Dispatch && !b.HasID && !b.HasRetry && len(b.Event) == 0
}
