package ui

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// liveRig is a real proxy in front of a go-sdk upstream, a go-sdk client
// through it, and the observations the proxy published so far.
type liveRig struct {
	up  *mcptest.Upstream
	p   *proxy.Proxy
	cs  *mcp.ClientSession
	sub *proxy.Subscription
}

func startLive(t *testing.T, kind mcpserver.Kind) *liveRig {
	t.Helper()
	up := mcptest.StartUpstream(t, kind)
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	sub := p.Bus.Subscribe(1 << 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer()
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
	})
	cs, _ := mcptest.Connect(t, t.Context(), kind, "http://"+ln.Addr().String()+kind.Path(), mcptest.ClientOptions{})
	return &liveRig{up: up, p: p, cs: cs, sub: sub}
}

// drain hands the model what the proxy published, until have holds (10 s).
func (l *liveRig) drain(t *testing.T, m *Model, have func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !have(); {
		if time.Now().After(deadline) {
			t.Fatal("the model never got what it waited for")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		batch, _ := l.sub.Next(ctx)
		cancel()
		if len(batch) > 0 {
			m.Update(observationsMsg(batch))
		}
	}
}

// rowWhere returns the first row for which keep holds, selecting it.
func rowWhere(m *Model, keep func(*proxy.Observation) bool) (*row, bool) {
	for i := m.traffic.ring.first; i < m.traffic.ring.end(); i++ {
		if r, _ := m.traffic.ring.at(i); keep(r.obs) {
			m.traffic.sel, m.traffic.follow = i, false
			return r, true
		}
	}
	return nil, false
}

func isCall(tool string) func(*proxy.Observation) bool {
	return func(o *proxy.Observation) bool {
		return o.Kind == proxy.KindRequest && o.Method == "tools/call" && o.Tool == tool && !o.Has(proxy.FlagResent)
	}
}

// r on a tools/call row re-sends it: the go-sdk upstream gets it exactly
// once more, and the list shows the re-send and its answer as rows of
// their own, marked, the answer linked to the new request; the status
// line says so. r on the answer (a server's message) says why not.
func TestResendKeyReachesTheUpstreamOnce(t *testing.T) {
	l := startLive(t, mcpserver.Stateful)
	m := New(l.p, Options{TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	if _, err := l.cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "once more"}}); err != nil {
		t.Fatal(err)
	}
	l.drain(t, m, func() bool {
		_, ok := rowWhere(m, func(o *proxy.Observation) bool { return o.Kind == proxy.KindResult && o.Tool == "echo" })
		return ok
	})
	if _, ok := rowWhere(m, func(o *proxy.Observation) bool { return o.Kind == proxy.KindResult && o.Tool == "echo" }); !ok {
		t.Fatal("no answer row")
	}
	if cmd := m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")}); cmd != nil || !strings.Contains(m.notice, "only a client's request") {
		t.Errorf("r on an answer: notice %q, cmd %v; want a refusal", m.notice, cmd != nil)
	}
	orig, _ := rowWhere(m, isCall("echo"))
	if l := label(orig.obs); !strings.Contains(l, "tools/call echo") {
		t.Errorf("the request's row reads %q, want the tool's name", l)
	}
	cmd := m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	if cmd == nil {
		t.Fatalf("r gave no command; notice %q", m.notice)
	}
	m.Update(cmd())
	if !strings.Contains(m.notice, `re-sent #`) || !strings.Contains(m.notice, "mcpscope-resend-1") {
		t.Errorf("notice after the re-send: %q", m.notice)
	}
	if n := l.up.Methods()["tools/call"]; n != 2 {
		t.Errorf("upstream saw %d tools/call, want 2", n)
	}
	var req, ans *row
	l.drain(t, m, func() bool {
		req, _ = rowWhere(m, func(o *proxy.Observation) bool { return o.Kind == proxy.KindRequest && o.Has(proxy.FlagResent) })
		ans, _ = rowWhere(m, func(o *proxy.Observation) bool { return o.Kind == proxy.KindResult && o.Has(proxy.FlagResent) })
		return req != nil && ans != nil
	})
	if req.obs.ResentFrom != orig.obs.Seq || ans.obs.RequestSeq != req.obs.Seq {
		t.Errorf("re-sent request from %d (want %d); answer linked to %d (want %d)", req.obs.ResentFrom, orig.obs.Seq, ans.obs.RequestSeq, req.obs.Seq)
	}
	line := formatRow(ans, 160)
	for _, want := range []string{"result tools/call echo", "#↻1", "↻resent #"} {
		if !strings.Contains(line, want) {
			t.Errorf("the answer's row %q lacks %q", line, want)
		}
	}
	if d := renderDetail(ans.obs); !strings.Contains(d, "re-sent by mcpscope") || !strings.Contains(d, "tool echo") {
		t.Errorf("the answer's detail does not say it was re-sent, and of which tool:\n%s", d)
	}
	m.traffic.setFilter("tool:echo")
	if got := len(m.traffic.visible); got != 4 {
		t.Errorf("tool:echo keeps %d rows, want 4 (two requests, two answers)", got)
	}
}

// R opens the request in $EDITOR (a script, as in a real program run by
// teatest); what the editor saved is re-sent, and the upstream gets the
// edited argument.
func TestEditAndResendReachesTheUpstreamEdited(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to play the editor")
	}
	l := startLive(t, mcpserver.Stateful)
	editor := filepath.Join(t.TempDir(), "editor.sh")
	os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/as the client said/as edited/' \"$1\"\n"), 0o755)
	t.Setenv("EDITOR", editor)
	if _, err := l.cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "as the client said"}}); err != nil {
		t.Fatal(err)
	}
	m := New(l.p, Options{TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	l.drain(t, m, func() bool { _, ok := rowWhere(m, isCall("echo")); return ok })
	rowWhere(m, isCall("echo"))
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("R")})
	deadline := time.Now().Add(10 * time.Second)
	for !upstreamGot(l.up, "as edited") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	tm.Quit()
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if !upstreamGot(l.up, "as edited") {
		t.Fatal("the upstream never got the edited re-send")
	}
	if n := l.up.Methods()["tools/call"]; n != 2 {
		t.Errorf("upstream saw %d tools/call, want 2", n)
	}
}

func upstreamGot(up *mcptest.Upstream, text string) bool {
	for _, r := range up.Requests() {
		if strings.Contains(r.Body, text) && strings.Contains(r.Body, "mcpscope-resend-") {
			return true
		}
	}
	return false
}

// C writes the selected exchange as curl to a file and puts it on the
// clipboard (OSC 52 in the program's output). Run by a real curl, the
// command sends the upstream the same body and headers, the credentials
// taken from $TOKEN.
func TestCopyAsCurlReproducesTheRequest(t *testing.T) {
	var mu sync.Mutex
	var got *http.Request
	var gotBody string
	up := mcptest.StartUpstream(t, mcpserver.StatefulJSON)
	catcher := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 1<<16)
		n, _ := r.Body.Read(b)
		mu.Lock()
		got, gotBody = r, string(b[:n])
		mu.Unlock()
		w.WriteHeader(204)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go catcher.Serve(ln)
	t.Cleanup(func() { catcher.Close() })

	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	sub := p.Bus.Subscribe(1 << 16)
	ps := p.NewServer()
	pln, _ := net.Listen("tcp", "127.0.0.1:0")
	go ps.Serve(pln)
	t.Cleanup(func() { ps.Close(); p.Bus.Close() })
	// A client that authenticates: its bearer token must not be copied.
	client := &http.Client{Transport: authTransport{}}
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.StatefulJSON, "http://"+pln.Addr().String()+"/mcp", mcptest.ClientOptions{HTTPClient: client})
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "it's \"quoted\" $HOME `x`"}}); err != nil {
		t.Fatal(err)
	}
	l := &liveRig{p: p, sub: sub}
	m := New(p, Options{TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	var h *proxy.HTTPExchange
	l.drain(t, m, func() bool {
		r, ok := rowWhere(m, isCall("echo"))
		if ok {
			h = m.exchangeOf(r.obs.Exchange)
		}
		return h != nil
	})
	orig, _ := rowWhere(m, isCall("echo"))
	t.Setenv("TMPDIR", t.TempDir())
	m.copyCurl()
	path := m.notice[strings.Index(m.notice, "written to ")+len("written to "):]
	path = path[:strings.IndexByte(path, ';')]
	if !strings.Contains(m.notice, "$TOKEN") || m.clipboard == "" {
		t.Errorf("notice %q, clipboard %q; want the file, the variable to set, and an OSC 52 sequence", m.notice, m.clipboard)
	}
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(script), "s3cret") {
		t.Errorf("the curl command holds the client's token:\n%s", script)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl to run the command (the file was written and checked)")
	}
	// Aim the command at the catcher, where the upstream was.
	cmdText := strings.Replace(string(script), h.URL, "http://"+ln.Addr().String()+"/mcp", 1)
	run := exec.Command("sh", "-c", cmdText)
	run.Env = append(os.Environ(), "TOKEN=from-the-environment")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("running %s: %v\n%s", cmdText, err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if got == nil {
		t.Fatal("curl never reached the upstream")
	}
	if gotBody != orig.obs.Body {
		t.Errorf("curl sent the body %q, want %q", gotBody, orig.obs.Body)
	}
	for _, k := range []string{"Mcp-Session-Id", "Mcp-Protocol-Version", "Accept", "Content-Type"} {
		if got.Header.Get(k) != strings.Join(h.RequestHeaders[k], ", ") || got.Header.Get(k) == "" {
			t.Errorf("curl sent %s %q, the exchange had %q", k, got.Header.Get(k), h.RequestHeaders[k])
		}
	}
	if a := got.Header.Get("Authorization"); a != "Bearer from-the-environment" {
		t.Errorf("curl sent Authorization %q, want the scheme and $TOKEN", a)
	}

	// The escape reaches the terminal through Bubble Tea's renderer.
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("C")})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "\x1b]52;c;") },
		teatest.WithDuration(5*time.Second))
	tm.Quit()
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// authTransport adds the bearer token a client of an authenticated server
// sends.
type authTransport struct{}

func (authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer s3cret")
	return http.DefaultTransport.RoundTrip(r)
}
