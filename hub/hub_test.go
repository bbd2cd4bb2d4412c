package hub

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/rules"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServer runs a hub on a socket in a temporary directory.
func startServer(t *testing.T) (*proxy.Proxy, string) {
	t.Helper()
	p := proxy.New(&url.URL{Scheme: "http", Host: "127.0.0.1:1"})
	path := filepath.Join(t.TempDir(), "hub", "hub.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Proxy: p}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return p, path
}

// rawHello connects and says hello with version and window; it returns
// the connection and the hub's first answer.
func rawHello(t *testing.T, path string, version byte, window uint32) (net.Conn, *bufio.Writer, byte, string) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	w := bufio.NewWriter(c)
	writeFrame(w, frameHello, binary.BigEndian.AppendUint32([]byte{version}, window), []byte("raw peer"))
	w.Flush()
	fr := &frameReader{r: bufio.NewReader(c)}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := fr.next()
	if err != nil {
		t.Fatalf("reading the hub's answer: %v", err)
	}
	return c, w, typ, string(b)
}

// TestVersionMismatchRefused: a wrap of another protocol version is
// refused with a message saying both versions; Dial reports it.
func TestVersionMismatchRefused(t *testing.T) {
	_, path := startServer(t)
	_, _, typ, msg := rawHello(t, path, 99, 1<<20)
	if typ != frameRefuse || !strings.Contains(msg, fmt.Sprintf("protocol version 99, this hub speaks %d", Version)) {
		t.Errorf("answer %q %q, want a refusal naming both versions", typ, msg)
	}
}

// TestPeerExceedingWindowDisconnected: a peer that sends more than the
// window it declared while the hub holds its lines (paused) is
// disconnected with a message, and the hub's queue stays bounded.
func TestPeerExceedingWindowDisconnected(t *testing.T) {
	p, path := startServer(t)
	p.PauseAll("test")
	c, w, typ, _ := rawHello(t, path, Version, 4096)
	if typ != frameWelcome {
		t.Fatalf("answer %q, want welcome", typ)
	}
	line := []byte{dirByte(proxy.ServerToClient)}
	line = append(line, []byte(`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"`+strings.Repeat("x", 900)+`"}}`)...)
	for range 10 { // 10 KiB, past 4 KiB
		writeFrame(w, frameLine, line)
	}
	w.Flush()
	fr := &frameReader{r: bufio.NewReader(c)}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := fr.next()
	if err != nil || typ != frameRefuse || !strings.Contains(string(b), "more than its window of 4096 bytes") {
		t.Errorf("answer %q %q %v, want a refusal: over the window", typ, b, err)
	}
}

// TestListenReplacesStaleSocketAndYieldsToLiveHub: a socket file nobody
// listens on is replaced; a live hub is left alone (ErrHubRunning); the
// directory is 0700 and the socket 0600.
func TestListenReplacesStaleSocketAndYieldsToLiveHub(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d", "hub.sock")
	os.MkdirAll(filepath.Dir(path), 0o700)
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close() // the file stays, nobody listens: a crashed hub's
	ln, err := Listen(path)
	if err != nil {
		t.Fatalf("a stale socket: %v, want replaced", err)
	}
	defer ln.Close()
	if _, err := Listen(path); !errors.Is(err, ErrHubRunning) {
		t.Errorf("a second hub on a live socket: %v, want ErrHubRunning", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
}

// TestDialWithNoHub: nobody listening is ErrNoHub (wrap then relays
// alone).
func TestDialWithNoHub(t *testing.T) {
	if _, err := Dial(filepath.Join(t.TempDir(), "none.sock"), "x", DefaultWindow); !errors.Is(err, ErrNoHub) {
		t.Errorf("Dial: %v, want ErrNoHub", err)
	}
}

// TestVerdictFrames: verdicts round-trip, and one for an unchanged line
// is 7 bytes on the wire whatever the line's size.
func TestVerdictFrames(t *testing.T) {
	line := []byte(strings.Repeat("y", 10000))
	for _, v := range []Verdict{verdictOf(line, proxy.Verdict{Forward: line}), {Kind: Replaced, Forward: []byte("new"), Back: []byte("back")}, {Kind: Dropped, Back: []byte("b")}} {
		payload := encodeVerdict(nil, proxy.ServerToClient, v)
		dir, got, err := decodeVerdict(payload)
		if err != nil || dir != proxy.ServerToClient || got.Kind != v.Kind || string(got.Forward) != string(v.Forward) || string(got.Back) != string(v.Back) {
			t.Errorf("%+v came back as %s %+v %v", v, dir, got, err)
		}
		if v.Kind == Unchanged && len(payload)+5 != 7 {
			t.Errorf("an unchanged verdict is %d bytes, want 7", len(payload)+5)
		}
	}
}

// TestVerdictNotHeldBehindABreakpoint: a line's verdict reaches wrap
// while the line after it waits at a breakpoint (it is not kept in the
// hub's buffer until that one is decided).
func TestVerdictNotHeldBehindABreakpoint(t *testing.T) {
	p, path := startServer(t)
	set, err := rules.Parse([]byte("rules:\n  - name: hold calls\n    match: method:tools/call\n    action: breakpoint\n    timeout: 30s\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p.SetRules(set)
	c, err := Dial(path, "test", DefaultWindow)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := make(chan Verdict, 2)
	ran := make(chan error, 1)
	go func() { ran <- c.Run(func(_ proxy.Direction, v Verdict) { verdicts <- v }, func(bool) {}) }()
	c.Send(proxy.ClientToServer, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	c.Send(proxy.ClientToServer, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`))
	c.Flush()
	select {
	case v := <-verdicts:
		if v.Kind != Unchanged {
			t.Errorf("the notification's verdict: %+v, want unchanged", v)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the notification's verdict did not arrive while the call after it is held")
	}
	select {
	case v := <-verdicts:
		t.Fatalf("the held call got a verdict: %+v", v)
	case <-time.After(100 * time.Millisecond):
	}
	c.Close("test over")
	if err := <-ran; err != nil {
		t.Error(err)
	}
}

// TestObservedLinesKeepTheirReadTime: a line wrap observes (no rule in
// force) is published with the time wrap read it, not the time the hub
// got round to it (blocks wait in wrap's queue, observeCoalesce at least,
// so a stamp taken at the hub put a request late and shortened its call).
func TestObservedLinesKeepTheirReadTime(t *testing.T) {
	p, path := startServer(t)
	sub := p.Bus.Subscribe(64)
	defer sub.Close()
	c, err := Dial(path, "test", DefaultWindow)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- c.Run(func(proxy.Direction, Verdict) {}, func(bool) {}) }()
	read := time.Now().Add(-time.Minute).Round(0)
	c.Observe(proxy.ClientToServer, []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`+"\n"), read)
	c.Close("test over")
	if err := <-ran; err != nil {
		t.Error(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for {
		os, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("no observation of the ping: %v", err)
		}
		for _, o := range os {
			if o.Type == proxy.TypeMessage && o.Method == "ping" {
				if !o.Time.Equal(read) {
					t.Fatalf("the ping was observed at %v, want the time wrap read it, %v", o.Time, read)
				}
				return
			}
		}
	}
}
