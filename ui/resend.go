package ui

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcpscope/mcpscope/internal/termtext"
	"github.com/mcpscope/mcpscope/proxy"
)

// Resender is what an Engine offers when it can re-send (a live proxy,
// not a recording): *proxy.Proxy implements it.
type Resender interface {
	Resend(ctx context.Context, req proxy.ResendRequest) (proxy.ResendResult, error)
}

// resendTimeout bounds how long the UI waits for a re-send's answer (a
// tool may run long; the exchange shows in the traffic list meanwhile).
const resendTimeout = 5 * time.Minute

// resentMsg carries how a re-send went.
type resentMsg struct {
	from uint64
	res  proxy.ResendResult
	err  error
}

// resendEditedMsg carries the message edited for a re-send (R).
type resendEditedMsg struct {
	req    proxy.ResendRequest
	edited editedMsg
}

// resend re-sends the selected client message (r), or opens it in
// $EDITOR first (R), and says what came back when it does.
func (m *Model) resend(edit bool) tea.Cmd {
	rs, ok := m.engine.(Resender)
	if !ok || m.info.ReadOnly {
		m.say("re-send needs a live proxy: this is a recording")
		return nil
	}
	req, ok := m.resendRequest()
	if !ok {
		return nil
	}
	if !edit {
		m.say("re-sending #" + strconv.FormatUint(req.From, 10) + "…")
		return resendCmd(rs, req)
	}
	cmd, path, err := editorCommand(req.Body, os.Getenv("EDITOR"))
	if err != nil {
		m.say("editing: " + err.Error())
		return nil
	}
	return tea.ExecProcess(cmd, func(err error) tea.Msg { return resendEditedMsg{req: req, edited: readEdited("", path, err)} })
}

// resendRequest is the re-send of the selected row, if it is a client's
// request or notification (said otherwise; the engine refuses sessions
// it cannot re-send on, and says why).
func (m *Model) resendRequest() (proxy.ResendRequest, bool) {
	r, ok := m.traffic.selected()
	if !ok {
		m.say("select a client's request to re-send it")
		return proxy.ResendRequest{}, false
	}
	o := r.obs
	switch {
	case o.Direction != proxy.ClientToServer || (o.Kind != proxy.KindRequest && o.Kind != proxy.KindNotification):
		m.say("only a client's request or notification can be re-sent (this row is a server's message, or no message)")
		return proxy.ResendRequest{}, false
	case o.Batch > 0:
		m.say("a message of a batch cannot be re-sent alone yet: re-send works on single messages")
		return proxy.ResendRequest{}, false
	}
	req := proxy.ResendRequest{Session: o.Session, Body: o.Body, From: o.Seq}
	if h := m.exchangeOf(o.Exchange); o.Exchange != "" && h != nil { // stdio has none: the engine knows where a bridged session's go
		if u, err := url.Parse(h.URL); err == nil {
			req.Path = u.RequestURI()
		}
		req.Header = h.RequestHeaders // Resend sets the session's and protocol's own
	}
	return req, true
}

// exchangeOf returns the HTTP exchange named id, if the UI still holds it.
func (m *Model) exchangeOf(id string) *proxy.HTTPExchange {
	for i := len(m.history.obs) - 1; i >= 0; i-- {
		if o := m.history.obs[i]; o.Type == proxy.TypeHTTP && o.Exchange == id && o.HTTP != nil {
			return o.HTTP
		}
	}
	for i := m.traffic.ring.end() - 1; i >= m.traffic.ring.first; i-- {
		if r, _ := m.traffic.ring.at(i); r.obs.Type == proxy.TypeHTTP && r.obs.Exchange == id && r.obs.HTTP != nil {
			return r.obs.HTTP
		}
	}
	return nil
}

func resendCmd(rs Resender, req proxy.ResendRequest) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), resendTimeout)
		defer cancel()
		res, err := rs.Resend(ctx, req)
		return resentMsg{from: req.From, res: res, err: err}
	}
}

// resendEdited re-sends the message as edited, unless the editing failed.
func (m *Model) resendEdited(msg resendEditedMsg) tea.Cmd {
	if msg.edited.err != nil {
		m.say("not re-sent: " + msg.edited.err.Error())
		return nil
	}
	rs, ok := m.engine.(Resender)
	if !ok {
		return nil
	}
	req := msg.req
	req.Body = msg.edited.message
	m.say("re-sending #" + strconv.FormatUint(req.From, 10) + " as edited…")
	return resendCmd(rs, req)
}

// resent says how a re-send went.
func (m *Model) resent(msg resentMsg) {
	from := "#" + strconv.FormatUint(msg.from, 10)
	switch {
	case msg.err != nil:
		m.say("not re-sent: " + msg.err.Error())
	case msg.res.Failure != "":
		m.say("re-sent " + from + ": failed: " + termtext.Safe(cut(msg.res.Failure, 200)))
	case msg.res.ID == "":
		m.say(fmt.Sprintf("re-sent %s (a notification): HTTP %d", from, msg.res.Status))
	default:
		kind := "result"
		if strings.Contains(msg.res.Answer, `"error"`) && !strings.Contains(msg.res.Answer, `"result"`) {
			kind = "error"
		}
		m.say(fmt.Sprintf("re-sent %s as id %s: its %s is in the traffic (marked ↻); the client did not get it", from, termtext.Safe(msg.res.ID), kind))
	}
}

// shortRequestID abbreviates a re-sent request's id ("mcpscope-resend-3"
// → ↻3) for the id column.
func shortRequestID(id string) string {
	if n, ok := strings.CutPrefix(id, `"`+proxy.ResendIDPrefix); ok {
		return "↻" + strings.TrimSuffix(n, `"`)
	}
	return id
}

// resentBadge marks a row of a re-send, with the seq it re-sent.
func resentBadge(o *proxy.Observation) string {
	if o.ResentFrom == 0 {
		return "↻resent"
	}
	return "↻resent #" + strconv.FormatUint(o.ResentFrom, 10)
}

func resentDetail(o *proxy.Observation) string {
	s := "by mcpscope"
	if o.ResentFrom != 0 {
		s += ", of the request at seq " + strconv.FormatUint(o.ResentFrom, 10)
	}
	return s + "; its answer went to mcpscope, not to the client"
}

// cut bounds text to n runes, marking the cut.
func cut(text string, n int) string {
	if r := []rune(text); len(r) > n {
		return string(r[:n]) + "…"
	}
	return text
}
