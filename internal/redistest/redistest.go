// Package redistest starts real redis-server processes for tests: a single
// server (Start), a cluster (StartCluster), a master watched by a Sentinel
// (StartSentinel; StartFailover adds a replica), and each of them accepting
// only TLS (StartTLS, StartTLSCluster, StartTLSSentinel) with certificates
// made for the test. Every process is killed and waited for when the test
// ends (t.Cleanup).
//
// Without the redis-server binary (or, for StartTLS, a build with TLS) the
// Start functions skip the test with the reason and the Try functions log
// it and return nothing; with MCPSCOPE_REQUIRE_REDIS=1 (as CI sets) both
// fail the test instead.
package redistest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Start runs redis-server on a free loopback port until the test ends and
// returns its address. Without the binary it skips the test with the
// reason, or fails it when MCPSCOPE_REQUIRE_REDIS=1 (as CI sets).
func Start(t testing.TB) string {
	t.Helper()
	addr, err := start(t)
	return must(t, addr, err)
}

// StartKillable is Start that also returns a function that kills the
// server (at once, SIGKILL) and waits for it to exit, for tests of Redis
// going down.
func StartKillable(t testing.TB) (addr string, kill func()) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr, kill, err = runKillable(t, port, serverArgs(t, port)...)
	return must(t, addr, err), kill
}

// Restart runs a fresh, empty redis-server on addr, where one started by
// StartKillable was killed, and returns its kill function.
func Restart(t testing.TB, addr string) (kill func()) {
	t.Helper()
	_, portText, _ := net.SplitHostPort(addr)
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatalf("redistest.Restart(%q): %v", addr, err)
	}
	_, kill, err = runKillable(t, port, serverArgs(t, port)...)
	if err != nil {
		t.Fatal(err)
	}
	return kill
}

// TryStart is Start that returns "" instead of skipping, for tests that
// run other backends too; with MCPSCOPE_REQUIRE_REDIS=1 it still fails.
func TryStart(t testing.TB) string {
	t.Helper()
	addr, err := start(t)
	return try(t, addr, err)
}

// must returns v, or skips (fails with MCPSCOPE_REQUIRE_REDIS=1) saying err.
func must[T any](t testing.TB, v T, err error) T {
	t.Helper()
	if err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_REDIS") == "1" {
			t.Fatalf("%v, and MCPSCOPE_REQUIRE_REDIS=1", err)
		}
		t.Skipf("%v%s", err, hint(err))
	}
	return v
}

// try returns v, or logs err and returns the zero value (fails with
// MCPSCOPE_REQUIRE_REDIS=1).
func try[T any](t testing.TB, v T, err error) T {
	t.Helper()
	if err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_REDIS") == "1" {
			t.Fatalf("%v, and MCPSCOPE_REQUIRE_REDIS=1", err)
		}
		t.Logf("SKIP real Redis: %v%s", err, hint(err))
		var zero T
		return zero
	}
	return v
}

// hint says how to get redis-server when it is missing.
func hint(err error) string {
	if errors.Is(err, errNoBinary) {
		return " (apt-get install redis-server)"
	}
	return ""
}

func start(t testing.TB) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	return run(t, port, serverArgs(t, port)...)
}

// serverArgs are the options of a plain server on port.
func serverArgs(t testing.TB, port int) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir()}
}

// errNoBinary says redis-server is absent.
var errNoBinary = errors.New("redis-server is not installed")

// run starts redis-server with args (a config file and/or options that
// make it listen on port, on 127.0.0.1, with a --dir of the test's: a
// replica writes the master's data there) and returns its address once it
// accepts connections. The process is killed when the test ends.
func run(t testing.TB, port int, args ...string) (string, error) {
	addr, _, err := runKillable(t, port, args...)
	return addr, err
}

// runKillable is run that also returns a function killing the server and
// waiting for it to exit (once; the test's end calls it too).
func runKillable(t testing.TB, port int, args ...string) (string, func(), error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errNoBinary
	}
	cmd := exec.Command(bin, args...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	kill := sync.OnceFunc(func() { cmd.Process.Kill(); <-exited })
	t.Cleanup(kill)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			return "", nil, fmt.Errorf("redis-server %q exited at start: %s", args, bytes.TrimSpace(out.Bytes()))
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, kill, nil
		}
	}
	return "", nil, fmt.Errorf("redis-server did not listen on %s", addr)
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer the process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
