// Package redistest starts a real redis-server for tests.
package redistest

import (
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
	addr, _ := StartKillable(t)
	return addr
}

// StartKillable is Start that also returns a function that kills the
// server (at once, SIGKILL) and waits for it to exit, for tests of Redis
// going down.
func StartKillable(t testing.TB) (addr string, kill func()) {
	t.Helper()
	addr, kill, err := start(t)
	if err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_REDIS") == "1" {
			t.Fatalf("%v, and MCPSCOPE_REQUIRE_REDIS=1", err)
		}
		t.Skipf("%v (apt-get install redis-server)", err)
	}
	return addr, kill
}

// TryStart is Start that returns "" instead of skipping, for tests that
// run other backends too; with MCPSCOPE_REQUIRE_REDIS=1 it still fails.
func TryStart(t testing.TB) string {
	t.Helper()
	addr, _, err := start(t)
	if err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_REDIS") == "1" {
			t.Fatalf("%v, and MCPSCOPE_REQUIRE_REDIS=1", err)
		}
		t.Logf("SKIP real Redis: %v (apt-get install redis-server)", err)
		return ""
	}
	return addr
}

// start runs redis-server; stop kills it (once; also at the test's end).
func start(t testing.TB) (addr string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, fmt.Errorf("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return startOn(t, bin, port)
}

// Restart runs a fresh, empty redis-server on addr, where one started by
// StartKillable was killed, and returns its kill function.
func Restart(t testing.TB, addr string) (kill func()) {
	t.Helper()
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed")
	}
	_, kill, err = startOn(t, bin, port)
	if err != nil {
		t.Fatal(err)
	}
	return kill
}

// startOn runs bin on a loopback port and waits until it listens.
func startOn(t testing.TB, bin string, port int) (addr string, stop func(), err error) {
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = sync.OnceFunc(func() { cmd.Process.Kill(); cmd.Wait() })
	t.Cleanup(stop)
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, stop, nil
		}
	}
	return "", nil, fmt.Errorf("redis-server did not listen on %s", addr)
}
