package sse

import "bytes"

// ReplaceData returns the block raw with the value of its data field
// replaced by data, every other byte (other fields, comments, line
// terminators, the space after "data:") kept. It applies only when raw has
// exactly one "data:" field and data holds no line terminator; otherwise
// it returns false, and the caller re-encodes the event (AppendEvent).
func ReplaceData(raw []byte, data string) ([]byte, bool) {
	if indexLineEnd(data) >= 0 {
		return nil, false
	}
	start, end, found := 0, 0, false
	for i := 0; i < len(raw); {
		j := i
		for j < len(raw) && raw[j] != '\r' && raw[j] != '\n' {
			j++
		}
		line := raw[i:j]
		switch {
		case bytes.HasPrefix(line, []byte("data:")) && !found:
			found, start, end = true, i+len("data:"), j
			if start < j && raw[start] == ' ' {
				start++
			}
		case bytes.HasPrefix(line, []byte("data:")) || bytes.Equal(line, []byte("data")):
			return nil, false // several data fields: their values are joined by LF
		}
		if j+1 < len(raw) && raw[j] == '\r' && raw[j+1] == '\n' {
			j++
		}
		i = j + 1
	}
	if !found {
		return nil, false
	}
	out := make([]byte, 0, len(raw)-(end-start)+len(data))
	out = append(append(append(out, raw[:start]...), data...), raw[end:]...)
	return out, true
}
