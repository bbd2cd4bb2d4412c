package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/internal/benchrules"
	"github.com/mcpscope/mcpscope/proxy"
)

// The routes under test, each a process of its own on loopback in front
// of the one upstream process:
//
//   - direct:   no proxy (latency's baseline only);
//   - pipe:     httputil.ReverseProxy, FlushInterval -1, mcpscope's
//     transport settings (proxy.NewTransport), in a child of the harness;
//   - headless: mcpscope -u URL --headless, stdout to /dev/null;
//   - record:   mcpscope -u URL --headless --record FILE;
//   - rules:    mcpscope -u URL --headless --rules FILE, 50 rules none of
//     which matches (internal/benchrules);
//   - tui:      mcpscope -u URL with its UI in a detached tmux pane of
//     tuiWidth×tuiHeight.
//
// Every mcpscope route runs with --hub off (so several can run at once)
// and otherwise default flags: protocol checks on, credentials redacted.
var allRoutes = []string{"pipe", "headless", "record", "rules", "tui"}

const (
	tuiWidth  = 160
	tuiHeight = 48
)

// route is one route, started.
type route struct {
	name   string
	url    string // base URL the client uses (the MCP endpoint is url + "/mcp")
	pid    int    // the process whose CPU the route is charged
	record string // the recording, for the record route: truncated between runs
	stop   func()
}

// child is a process the harness started, reporting where it listens.
type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser // closing it ends the child
}

// startSelf starts this program again in role (roleEnv) with env added,
// and returns it with the address it says it listens on.
func startSelf(role string, env ...string) (*child, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self)
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), env...)
	cmd.Stderr = os.Stderr
	endWithHarness(cmd)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	c := &child{cmd: cmd, in: in}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		c.stop()
		return nil, "", fmt.Errorf("%s: did not say where it listens (%q, %v)", role, line, err)
	}
	return c, addr, nil
}

func (c *child) stop() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// servePipe serves the pipe route in front of the upstream at
// os.Getenv(upstreamEnv) until stdin closes.
func servePipe() int {
	u, err := url.Parse(os.Getenv(upstreamEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchproc pipe:", err)
		return 2
	}
	return serveUntilStdinCloses(&httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		FlushInterval: -1,
		Transport:     proxy.NewTransport(0),
		ErrorLog:      log.New(io.Discard, "", 0),
	})
}

// startRoute starts route name in front of upstream (a base URL), using
// the mcpscope binary bin and dir for its files.
func startRoute(name, bin, upstream, dir string) (*route, error) {
	switch name {
	case "pipe":
		c, addr, err := startSelf("pipe", upstreamEnv+"="+upstream)
		if err != nil {
			return nil, err
		}
		return &route{name: name, url: addr, pid: c.cmd.Process.Pid, stop: c.stop}, nil
	case "headless", "record", "rules":
		args := mcpscopeArgs(upstream, "--headless")
		r := &route{name: name}
		switch name {
		case "record":
			r.record = filepath.Join(dir, "record.jsonl")
			args = append(args, "--record", r.record)
		case "rules":
			rules := filepath.Join(dir, "rules.yaml")
			if err := os.WriteFile(rules, []byte(benchrules.NoneMatching(50)), 0o600); err != nil {
				return nil, err
			}
			args = append(args, "--rules", rules)
		}
		stderr := filepath.Join(dir, name+".stderr")
		f, err := os.Create(stderr)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		cmd := exec.Command(bin, args...) // stdout: /dev/null
		cmd.Stderr = f
		endWithHarness(cmd)
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		r.pid = cmd.Process.Pid
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		r.stop = func() {
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
		if r.url, err = waitListening(stderr, exited); err != nil {
			cmd.Process.Kill()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return r, nil
	case "tui":
		return startTUI(bin, upstream, dir)
	}
	return nil, fmt.Errorf("unknown route %q (routes: %s)", name, strings.Join(allRoutes, ", "))
}

// mcpscopeArgs are the flags every mcpscope route runs with.
func mcpscopeArgs(upstream string, more ...string) []string {
	return append([]string{"-u", upstream + "/mcp", "-l", "127.0.0.1:0", "--hub", "off"}, more...)
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// waitListening waits (up to 20 s, or until exited closes) until
// mcpscope's stderr, in file, says where it listens, and returns that
// base URL.
func waitListening(file string, exited <-chan struct{}) (string, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		if m := listening.FindSubmatch(b); m != nil {
			return string(m[1]), nil
		}
		select {
		case <-exited:
			return "", fmt.Errorf("mcpscope exited: %s", b)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("mcpscope never said where it listens: %s", b)
		}
	}
}

// newClient is the load's HTTP client: many connections kept per host,
// no compression.
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableCompression:  true,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 128,
	}}
}
