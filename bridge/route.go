package bridge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/proxy"
)

// read is the session's reader: it reads the child's stdout line by line
// (bounded by MaxLineSize), passes each line through the Link (waiting
// there while paused) and routes what the Link lets through. It ends at
// the end of the child's stdout or when the pipe is closed.
func (s *session) read() {
	defer close(s.readDone)
	br := bufio.NewReaderSize(s.child.stdout, 64<<10)
	var buf []byte
	for {
		line, err := readLine(br, buf, s.b.maxLine())
		var long *lineTooLong
		switch {
		case errors.As(err, &long):
			s.oversized(long)
			continue
		case len(line) > 0:
			s.fromServer(line)
		}
		if err != nil {
			return
		}
		if buf = line[:0]; cap(buf) > 1<<20 { // a huge line's buffer is not kept
			buf = nil
		}
	}
}

// fromServer takes one line of the child's stdout through the engine and
// on to the client. Once the session stops, lines are read and dropped.
func (s *session) fromServer(line []byte) {
	if s.ctx.Err() != nil {
		return
	}
	s.passing.Store(true)
	v, err := s.link.Pass(s.ctx, proxy.ServerToClient, line)
	s.passing.Store(false)
	if err != nil {
		return
	}
	if back := bytes.TrimRight(v.Back, "\n"); len(back) > 0 { // mcpscope answered a server request in the client's place
		s.back.Put(back) // not written here: the child may read it only once this reader has read on
	}
	if v.Forward != nil {
		s.route(bytes.Clone(v.Forward))
	}
}

// route sends one server message on: an answer to the POST awaiting its
// id; a progress notification to the POST whose request carries its
// token; anything else to routeOther. An answer nobody waits for (the
// client left) is dropped; a line that is not JSON-RPC cannot be framed
// for an HTTP client and is dropped (the engine has shown it, flagged).
func (s *session) route(line []byte) {
	env := jsonrpc.Read(string(line))
	switch env.Kind {
	case jsonrpc.Result, jsonrpc.Error:
		key := idKey(env.ID)
		s.mu.Lock()
		k := s.calls[key]
		delete(s.calls, key)
		s.mu.Unlock()
		if k != nil {
			s.deliver(k, message{line: line, id: key})
		}
	case jsonrpc.Notification:
		if env.Method == "notifications/progress" {
			var k *sink
			if token := progressToken(env.Params, false); token != "" {
				s.mu.Lock()
				k = s.tokens[idKey(token)]
				s.mu.Unlock()
			}
			if k != nil && k.sse && s.deliver(k, message{line: line}) {
				return
			}
		}
		s.routeOther(line)
	case jsonrpc.Request:
		s.routeOther(line)
	}
}

// routeOther sends a server message that answers no request to the GET
// stream, else to an SSE POST stream of the session, else to its queue.
func (s *session) routeOther(line []byte) {
	for s.ctx.Err() == nil {
		s.mu.Lock()
		k := s.standalone
		if k == nil && len(s.streams) > 0 {
			k = s.streams[0]
		}
		if k == nil {
			s.queue.push(line, s.b.maxQueue())
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if s.deliver(k, message{line: line}) {
			return
		}
		// that stream ended (and left the tables): try the next
	}
}

// oversized answers the request a line too long to route would have
// answered (its id read from the line's first bytes) with an error.
func (s *session) oversized(long *lineTooLong) {
	s.b.Proxy.Notice(fmt.Sprintf("session %s: the server wrote a line of %d bytes, over the %d-byte limit: dropped", s.id, long.size, s.b.maxLine()))
	env := jsonrpc.ReadPrefix(string(long.prefix))
	if env.Kind != jsonrpc.Result && env.Kind != jsonrpc.Error || env.ID == "" {
		return
	}
	key := idKey(env.ID)
	s.mu.Lock()
	k := s.calls[key]
	delete(s.calls, key)
	s.mu.Unlock()
	if k != nil {
		msg := fmt.Sprintf("mcpscope: the server's answer was %d bytes, over the bridge's %d-byte line limit", long.size, s.b.maxLine())
		s.deliver(k, message{line: errorLine(env.ID, msg), id: key})
	}
}

// lineTooLong is readLine's error for a line over its limit, which it
// read to its end and dropped, keeping its first bytes.
type lineTooLong struct {
	size   int
	prefix []byte
}

func (e *lineTooLong) Error() string { return fmt.Sprintf("line of %d bytes too long", e.size) }

// readLine reads one line into buf (reused), without its "\n" or "\r\n".
// A line longer than max is read to its end and dropped: *lineTooLong.
// At the end of the input it returns the last, unterminated line (if any)
// with io.EOF.
func readLine(br *bufio.Reader, buf []byte, max int) ([]byte, error) {
	buf = buf[:0]
	size := 0
	for {
		frag, err := br.ReadSlice('\n')
		size += len(frag)
		if size > max {
			if len(buf) < 4096 {
				buf = append(buf, frag[:min(len(frag), 4096-len(buf))]...)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			return nil, &lineTooLong{size: size, prefix: buf}
		}
		buf = append(buf, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("reading the server's stdout: %w", err)
			}
			return buf, err
		}
		buf = buf[:len(buf)-1]
		if n := len(buf); n > 0 && buf[n-1] == '\r' {
			buf = buf[:n-1]
		}
		return buf, nil
	}
}

// idKey is the key of a JSON-RPC id (or progress token) in the session's
// tables: equal for equal values, whatever their spelling ("a" and
// "\u0061"), distinct for a number and a string.
func idKey(raw string) string {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, `"`) {
		return "s" + jsonrpc.Unquote(raw)
	}
	return "n" + raw
}

// progressToken is the progress token in params: params.progressToken of
// a progress notification, or params._meta.progressToken of a request
// (inMeta). "" if none.
func progressToken(params string, inMeta bool) string {
	if !strings.Contains(params, "progressToken") {
		return ""
	}
	var p struct {
		Token json.RawMessage `json:"progressToken"`
		Meta  struct {
			Token json.RawMessage `json:"progressToken"`
		} `json:"_meta"`
	}
	if json.Unmarshal([]byte(params), &p) != nil {
		return ""
	}
	if inMeta {
		return string(p.Meta.Token)
	}
	return string(p.Token)
}

// negotiated is the protocolVersion of an initialize result ("" if none).
func negotiated(result string) string {
	if !strings.Contains(result, "protocolVersion") {
		return ""
	}
	var r struct {
		Version string `json:"protocolVersion"`
	}
	json.Unmarshal([]byte(result), &r)
	return r.Version
}
