package control

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/mcpscope/mcpscope/proxy"
)

// resendBody is what POST /api/resend takes (proxy.ResendRequest): the
// session (an observation's "session"), the message ("body": a JSON
// string, or the message itself as a JSON object), the seq it re-sends
// ("from", optional), the upstream path and query ("path", optional: the
// upstream URL's), and further headers ("headers", such as
// Authorization).
type resendBody struct {
	Session string              `json:"session"`
	Body    json.RawMessage     `json:"body"`
	From    uint64              `json:"from"`
	Path    string              `json:"path"`
	Headers map[string][]string `json:"headers"`
}

// serveResend re-sends one client message to the upstream of its session
// (proxy.Proxy.Resend) and answers with what came back: {"id", "status",
// "answer", "failure"}. A refusal (a server's message, a batch, a session
// that is not Streamable HTTP) is 400 or 409 with {"error"}.
func (s *Server) serveResend(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST for /api/resend")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxEditedMessage+1))
	if err != nil || len(raw) > maxEditedMessage {
		writeError(w, http.StatusBadRequest, "reading the request: too large or cut short")
		return
	}
	var in resendBody
	if err := json.Unmarshal(raw, &in); err != nil {
		writeError(w, http.StatusBadRequest, `the request is not {"session", "body", "from", "path", "headers"}: `+err.Error())
		return
	}
	message := string(in.Body)
	var text string
	if json.Unmarshal(in.Body, &text) == nil {
		message = text // the message as a JSON string (a recording's body; older builds' /api/events)
	}
	res, err := s.Proxy.Resend(r.Context(), proxy.ResendRequest{Session: in.Session, Body: message, From: in.From, Path: in.Path, Header: in.Headers})
	switch {
	case errors.Is(err, proxy.ErrResendHTTPOnly):
		writeError(w, http.StatusConflict, err.Error())
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeJSON(w, http.StatusOK, res)
	}
}
