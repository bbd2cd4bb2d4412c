package sse

import "bytes"

// parseFields interprets the lines of a block (WHATWG "Interpreting an event
// stream"). Field values alias raw; the data of a block with more than one
// data line is joined in the parser's own buffer. Only the first terminated
// lines may set the last event ID: a line cut off by the end of the stream is
// shown but is not a field (WHATWG: lines end with CRLF, LF or CR).
func (p *Parser) parseFields(b *Block, raw []byte, terminated int) {
	var data []byte
	dataLines := 0
	for i, span := range p.lines {
		line := raw[span.start:span.end]
		if i == 0 && p.bomBlock && bytes.HasPrefix(line, bom) {
			line = line[len(bom):]
		}
		// "If the line starts with a U+003A COLON character (:) Ignore the line."
		if len(line) > 0 && line[0] == ':' {
			b.Comments++
			continue
		}
		// "If the line contains a U+003A COLON character (:) Collect the
		// characters on the line before the first U+003A COLON character (:),
		// and let field be that string. Collect the characters on the line
		// after the first U+003A COLON character (:), and let value be that
		// string. If value starts with a U+0020 SPACE character, remove it
		// from value." Otherwise the whole line is the field name and the
		// value is empty.
		name, value := line, line[len(line):]
		if c := bytes.IndexByte(line, ':'); c >= 0 {
			name, value = line[:c], line[c+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(name) {
		case "data":
			// "Append the field value to the data buffer, then append a
			// single U+000A LINE FEED (LF) character to the data buffer."
			dataLines++
			switch dataLines {
			case 1:
				data = value
			case 2:
				p.data = append(append(append(p.data[:0], data...), '\n'), value...)
				data = p.data
			default:
				p.data = append(append(p.data, '\n'), value...)
				data = p.data
			}
		case "event":
			b.Event = value
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				b.ID, b.HasID = value, true
				if i < terminated {
					p.lastID = append(p.lastID[:0], value...)
				}
			}
		case "retry":
			if ms, ok := parseDigits(value); ok {
				b.Retry, b.HasRetry = ms, true
			}
		}
		// "Otherwise: The field is ignored."
	}
	if dataLines > 0 {
		b.Data = data
		if b.Data == nil {
			b.Data = raw[:0]
		}
		b.Dispatch = true
	}
}

// parseDigits parses a non-empty run of ASCII digits, clamping at the
// largest int64.
func parseDigits(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	const max = int64(^uint64(0) >> 1)
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (max-d)/10 {
			n = max
		} else {
			n = n*10 + d
		}
	}
	return n, true
}
