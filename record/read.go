package record

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mcpscope/mcpscope/proxy"
)

// Observation is a recorded observation (the bus's type).
type Observation = proxy.Observation

// maxLine bounds one line of a recording (an observation carries at most
// one SSE event's bytes, itself bounded by --max-event-size).
const maxLine = 256 << 20

// Read calls each with every observation of a JSON Lines stream: a
// recording (format version 1 or 2, see Record) or --headless output. A
// header line (an object without "type" and with "format") is skipped, and
// one of a newer version than Version is an error; a last line cut short
// (a killed process) is ignored; any other bad line, a JSON object that is
// neither an observation nor the header among them, is an error naming its
// number. An observation's body given as "body_at" is set from its raw
// bytes, sharing their memory. A body is either a JSON string holding the
// message (recordings, exports, and --headless output of older builds)
// or the message as a JSON value (--headless output now), whose text
// becomes the body; "body_b64", where given, restores its exact
// bytes either way.
func Read(r io.Reader, each func(*Observation) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			var l recordedLine
			if jerr := json.Unmarshal(line, &l); jerr != nil {
				if errors.Is(err, io.EOF) {
					return nil // a cut last line
				}
				return fmt.Errorf("line %d: %v", n, jerr)
			}
			if l.Type == "" && l.Format == Format && l.Version > Version {
				return fmt.Errorf("line %d: a recording of format version %d, newer than this mcpscope reads (up to %d)", n, l.Version, Version)
			}
			if l.Type == "" && l.Format != Format {
				return fmt.Errorf("line %d: not an observation (no \"type\") nor a recording's header: is this a recording (--record) or --headless output?", n)
			}
			if l.Type != "" {
				o := &l.Observation
				o.Body = string(l.Body)
				if err := l.restoreExact(); err != nil {
					return fmt.Errorf("line %d: %v", n, err)
				}
				if l.BodyAt != nil {
					start, end := l.BodyAt[0], l.BodyAt[1]
					if o.Body != "" || start < 0 || start > end || end > len(o.Raw) {
						return fmt.Errorf("line %d: body_at [%d,%d] does not fit the %d raw bytes (or body is given too)", n, start, end, len(o.Raw))
					}
					o.Body = o.Raw[start:end]
				}
				if cerr := each(o); cerr != nil {
					return cerr
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// recordedLine is a line of a recording: an observation, perhaps with its
// body as offsets into its raw bytes and raw or body bytes that are not
// valid UTF-8 in base64, or the header.
type recordedLine struct {
	Observation
	Body    lineBody `json:"body"` // shadows Observation.Body
	BodyAt  *[2]int  `json:"body_at"`
	RawB64  *string  `json:"raw_b64"`
	BodyB64 *string  `json:"body_b64"`
	Format  string   `json:"format"`
	Version int      `json:"version"`
}

// lineBody reads a body in either form (see Read): a JSON string is its
// text, any other JSON value is the body as it is written in the line.
type lineBody string

func (b *lineBody) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*b = lineBody(s)
		return nil
	}
	*b = lineBody(data)
	return nil
}

// restoreExact sets raw and body from their exact bytes, where given.
func (l *recordedLine) restoreExact() error {
	for _, f := range []struct {
		b64 *string
		to  *string
	}{{l.RawB64, &l.Raw}, {l.BodyB64, &l.Observation.Body}} {
		if f.b64 == nil {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(*f.b64)
		if err != nil {
			return fmt.Errorf("raw_b64 or body_b64: %v", err)
		}
		*f.to = string(b)
	}
	return nil
}

// readLine reads one line without its newline; err is io.EOF when the
// line had none (the last one).
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("a line longer than %d bytes", maxLine)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}

// ReadFile is Read on a file.
func ReadFile(path string, each func(*Observation) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading recording: %w", err)
	}
	defer f.Close()
	if err := Read(f, each); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
