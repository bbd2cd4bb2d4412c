package record

import (
	"strings"

	"github.com/mcpscope/mcpscope/sse"
)

// eventRaw returns the raw bytes of an SSE event whose message text body
// was redacted to redacted (body "" when the event has none: a batch, an
// oversized fragment, an unfinished block), with the secrets of its data
// redacted; dropped when they cannot be redacted reliably (the caller
// then flags "raw_redacted"); and changed false when raw is kept as it is.
//
// The fast path splices the redacted body in at its offset in raw, as the
// proxy builds single-line events; if the body's text still appears in the
// result (a comment line carrying it), or it is not within raw (data spread
// over several lines), the block is parsed again and handled as one
// without a body is (see redactBlocks).
func (r *Redactor) eventRaw(raw, body, redacted string, oversized bool) (out string, dropped, changed bool) {
	if raw == "" || r.json == nil {
		return raw, false, false
	}
	if body != "" {
		if body == redacted {
			return raw, false, false
		}
		if start, end := bodyWithin(raw, body); start >= 0 {
			if out = raw[:start] + redacted + raw[end:]; !strings.Contains(out, body) {
				return out, false, true
			}
		}
	}
	if oversized { // a fragment: its data is cut anywhere, even inside a member name
		return "", true, true
	}
	return r.redactBlocks(raw)
}

// redactBlocks parses raw as SSE blocks and redacts the data of each: the
// redacted data is spliced in where it lies verbatim (one data line) and
// appears once, else a dispatching block is re-encoded (its id, event,
// retry and redacted data; comments are left out), else (an unfinished
// block at the end of a stream) the whole raw is dropped.
func (r *Redactor) redactBlocks(raw string) (out string, dropped, changed bool) {
	p := sse.NewParser(-1)
	p.Feed([]byte(raw))
	var b strings.Builder
	for {
		blk, ok := p.Next()
		if !ok {
			if blk, ok = p.End(); !ok {
				break
			}
		}
		block := string(blk.Raw)
		data := string(blk.Data)
		red, ch := r.message(data)
		switch {
		case !ch:
			b.WriteString(block)
			continue
		case !strings.Contains(data, "\n") && strings.Count(block, data) == 1: // one data field, its value verbatim
			i := strings.Index(block, data)
			b.WriteString(block[:i] + red + block[i+len(data):])
		case blk.Dispatch && !blk.Incomplete:
			b.Write(sse.AppendEvent(nil, sse.Event{ID: string(blk.ID), HasID: blk.HasID, Event: string(blk.Event),
				Data: red, Retry: blk.Retry, HasRetry: blk.HasRetry}))
		default:
			return "", true, true
		}
		changed = true
	}
	if !changed {
		return raw, false, false
	}
	return b.String(), false, true
}
