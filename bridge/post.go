package bridge

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/proxy"
)

// post takes one POST: a new session for an initialize without a session
// id, else the messages of the session the request names.
func (b *Bridge) post(w http.ResponseWriter, r *http.Request) {
	body, release, ok := b.Proxy.ReadBody(w, r) // bounded as the proxy bounds bodies; refused there if not
	if !ok {
		return
	}
	defer release()
	text := strings.TrimSpace(string(body))
	msgs, batch, ok := jsonrpc.Split(text)
	envs := make([]jsonrpc.Envelope, len(msgs))
	for i, m := range msgs {
		if envs[i] = jsonrpc.Read(m); envs[i].Kind == jsonrpc.Invalid {
			ok = false
		}
	}
	if !ok {
		writeError(w, http.StatusBadRequest, "", "mcpscope: the body is not a JSON-RPC message, nor a batch of them")
		return
	}
	var s *session
	fresh := r.Header.Get(sessionHeader) == ""
	if fresh {
		if batch > 0 || envs[0].Kind != jsonrpc.Request || envs[0].Method != "initialize" {
			writeError(w, http.StatusBadRequest, "", "mcpscope: no "+sessionHeader+" header: initialize a session first (each session is a process of "+quote(b.name())+")")
			return
		}
		var err error
		if s, err = b.open(); err != nil {
			writeError(w, http.StatusOK, envs[0].ID, "mcpscope: "+err.Error())
			return
		}
	} else if s, ok = b.find(w, r); !ok {
		return
	}
	if v := s.protocol(); batch > 0 && v >= "2025-06-18" {
		writeError(w, http.StatusBadRequest, "", "mcpscope: protocol revision "+v+" has no batches")
		return
	}
	s.post(w, r, msgs, envs, batch > 0, fresh, release)
}

// post passes the messages of one POST through the Link to the child's
// stdin and answers with what answers its requests: 202 if there are
// none; else, on an SSE stream when the client takes one (the stream also
// carries the progress of its requests, and server messages when no GET
// stream is open), or as JSON. A rule's answer (Verdict.Back) answers the
// client without the child. The answer to initialize (fresh) is awaited
// before the headers, which carry the new session's id only if it is a
// result; else the session is stopped. sent is called once the messages
// are written to the child.
func (s *session) post(w http.ResponseWriter, r *http.Request, msgs []string, envs []jsonrpc.Envelope, batch, fresh bool, sent func()) {
	s.begin()
	defer s.end()
	sse := acceptsSSE(r)
	k := newSink(sse)
	waiting := make(map[string]string) // idKey → the id as sent, of requests the child is to answer
	var answers [][]byte               // answers known here: rules', errors
	var tokens []string
	skip := make([]bool, len(msgs))
	s.mu.Lock()
	if how := s.ended; how != "" {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "", "mcpscope: session "+quote(s.id)+" ended ("+how+"); initialize a new one")
		return
	}
	for i, e := range envs {
		if e.Kind != jsonrpc.Request {
			continue
		}
		key := idKey(e.ID)
		if _, dup := s.calls[key]; dup {
			answers = append(answers, errorLine(e.ID, "mcpscope: a request with id "+e.ID+" is already awaiting its answer in this session"))
			skip[i] = true
			continue
		}
		s.calls[key], waiting[key] = k, e.ID
		if t := progressToken(e.Params, true); t != "" {
			s.tokens[idKey(t)] = k
			tokens = append(tokens, idKey(t))
		}
	}
	s.mu.Unlock()
	defer s.release(k, waiting, tokens)

	for i, m := range msgs {
		if skip[i] {
			continue
		}
		more, ok := s.send(r.Context(), k, []byte(m), envs[i], waiting)
		if !ok {
			return // the client left while a breakpoint held its message
		}
		answers = append(answers, more...)
	}
	sent() // a call that lasts holds none of the body budget
	switch {
	case fresh:
		s.answerInitialize(w, r, k, waiting, answers, sse)
	case len(waiting) == 0 && len(answers) == 0:
		w.WriteHeader(http.StatusAccepted)
	case sse:
		// Only now may server messages that answer nothing come here: a
		// handler still writing to the child's stdin cannot take them, and
		// a child blocked writing them would not read its stdin.
		s.mu.Lock()
		s.streams = append(s.streams, k)
		s.mu.Unlock()
		startStream(w)
		for _, a := range answers {
			if writeEvent(w, a) != nil {
				return
			}
		}
		flush(w)
		s.await(r.Context(), k, waiting, func(line []byte) error {
			if err := writeEvent(w, line); err != nil {
				return err
			}
			return flush(w)
		})
	default:
		if s.await(r.Context(), k, waiting, func(line []byte) error { answers = append(answers, line); return nil }) {
			writeJSON(w, answers, batch)
		}
	}
}

// send passes one client message through the Link and writes what it
// lets through to the child's stdin. It returns the answers the client
// gets at once (a rule's, or an error writing the request), removing the
// requests they answer from waiting; false if ctx ended while the message
// was held.
func (s *session) send(ctx context.Context, k *sink, line []byte, e jsonrpc.Envelope, waiting map[string]string) ([][]byte, bool) {
	v, err := s.link.Pass(ctx, proxy.ClientToServer, line)
	if err != nil {
		return nil, false
	}
	var answers [][]byte
	for back := range bytes.SplitSeq(v.Back, []byte("\n")) {
		if len(back) > 0 {
			s.unwait(k, waiting, idKey(jsonrpc.Read(string(back)).ID))
			answers = append(answers, back)
		}
	}
	if v.Forward == nil {
		if e.Kind == jsonrpc.Request && len(answers) == 0 { // a rule dropped it: no answer comes
			s.unwait(k, waiting, idKey(e.ID))
		}
		return answers, true
	}
	if err := s.child.writeLine(v.Forward); err != nil && e.Kind == jsonrpc.Request {
		if how := s.endedHow(); how != "" {
			err = fmt.Errorf("%w (the session ended: %s)", err, how)
		}
		s.unwait(k, waiting, idKey(e.ID))
		answers = append(answers, errorLine(e.ID, "mcpscope: "+err.Error()))
	}
	return answers, true
}

// answerInitialize awaits the answer to initialize, then answers it (as
// JSON, or as one SSE event), with the session's id if it is a result.
// Otherwise (an error, the child exited, the client left) the session is
// stopped.
func (s *session) answerInitialize(w http.ResponseWriter, r *http.Request, k *sink, waiting map[string]string, answers [][]byte, sse bool) {
	ok := s.await(r.Context(), k, waiting, func(line []byte) error { answers = append(answers, line); return nil })
	if !ok || len(answers) == 0 {
		s.stop("initialize was not answered")
		if ok {
			w.WriteHeader(http.StatusAccepted) // a rule dropped it
		}
		return
	}
	e := jsonrpc.Read(string(answers[0]))
	if e.Kind == jsonrpc.Result {
		s.mu.Lock()
		s.version = negotiated(e.Result)
		s.mu.Unlock()
		w.Header().Set(sessionHeader, s.id)
	}
	if sse {
		startStream(w)
		writeEvent(w, answers[0])
		flush(w)
	} else {
		writeJSON(w, answers[:1], false)
	}
	if e.Kind != jsonrpc.Result {
		s.stop("initialize failed")
	}
}

// await hands each message routed to k to emit until every request in
// waiting is answered (true), the client leaves or emit fails (false), or
// the session ends: the requests left are then answered with an error
// saying how (true).
func (s *session) await(ctx context.Context, k *sink, waiting map[string]string, emit func([]byte) error) bool {
	for len(waiting) > 0 {
		select {
		case m := <-k.ch:
			if m.id != "" {
				delete(waiting, m.id)
			}
			if emit(m.line) != nil {
				return false
			}
		case <-ctx.Done():
			return false
		case <-s.done:
			how := s.endedHow()
			for key, id := range waiting {
				delete(waiting, key)
				if emit(errorLine(id, "mcpscope: the session ended before the server answered: "+how)) != nil {
					return false
				}
			}
			return true
		}
	}
	return true
}

// unwait removes a request from the ones k awaits.
func (s *session) unwait(k *sink, waiting map[string]string, key string) {
	if _, ok := waiting[key]; !ok {
		return
	}
	delete(waiting, key)
	s.mu.Lock()
	if s.calls[key] == k {
		delete(s.calls, key)
	}
	s.mu.Unlock()
}

// release removes k from the session's tables, then tells the reader it
// is gone.
func (s *session) release(k *sink, waiting map[string]string, tokens []string) {
	s.mu.Lock()
	for key := range waiting {
		if s.calls[key] == k {
			delete(s.calls, key)
		}
	}
	for _, t := range tokens {
		if s.tokens[t] == k {
			delete(s.tokens, t)
		}
	}
	for i, o := range s.streams {
		if o == k {
			s.streams = append(s.streams[:i], s.streams[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	close(k.gone)
}

// protocol is the session's negotiated protocol revision.
func (s *session) protocol() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// writeJSON answers with the answers as JSON: the one answer, or an array
// for a batch.
func writeJSON(w http.ResponseWriter, answers [][]byte, batch bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if !batch {
		w.Write(append(answers[0], '\n'))
		return
	}
	w.Write([]byte("["))
	w.Write(bytes.Join(answers, []byte(",")))
	w.Write([]byte("]\n"))
}
