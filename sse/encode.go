package sse

import (
	"strconv"
	"strings"
)

// Event is an event to encode.
type Event struct {
	ID       string
	HasID    bool // write an id field even when ID is empty (resets the client's last event ID)
	Event    string
	Data     string
	Retry    int64
	HasRetry bool
}

// AppendEvent appends the wire form of e to dst and returns the result:
// id, event and retry fields when set, then one data field per line of
// Data (split at LF, CRLF and CR, so every line survives parsing), then the
// blank line. It always writes at least one data field, so the event
// dispatches. Field values must not contain line terminators; ID and Event
// are written as given.
func AppendEvent(dst []byte, e Event) []byte {
	if e.HasID || e.ID != "" {
		dst = appendField(dst, "id", e.ID)
	}
	if e.Event != "" {
		dst = appendField(dst, "event", e.Event)
	}
	if e.HasRetry {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, e.Retry, 10)
		dst = append(dst, '\n')
	}
	data := e.Data
	for {
		i := indexLineEnd(data)
		if i < 0 {
			dst = appendField(dst, "data", data)
			break
		}
		dst = appendField(dst, "data", data[:i])
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n')
}

// AppendComment appends a comment block (": text\n\n"), the usual keepalive.
func AppendComment(dst []byte, text string) []byte {
	dst = appendField(dst, "", text)
	return append(dst, '\n')
}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':')
	if value != "" {
		dst = append(dst, ' ')
		dst = append(dst, value...)
	}
	return append(dst, '\n')
}

func indexLineEnd(s string) int {
	return strings.IndexAny(s, "\r\n")
}
