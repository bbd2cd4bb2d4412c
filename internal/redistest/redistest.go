// Package redistest starts a real redis-server for tests.
package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Start runs redis-server on a free loopback port until the test ends and
// returns its address. Without the binary it skips the test with the
// reason, or fails it when MCPSCOPE_REQUIRE_REDIS=1 (as CI sets).
func Start(t testing.TB) string {
	t.Helper()
	addr, err := start(t)
	if err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_REDIS") == "1" {
			t.Fatalf("%v, and MCPSCOPE_REQUIRE_REDIS=1", err)
		}
		t.Skipf("%v (apt-get install redis-server)", err)
	}
	return addr
}

// TryStart is Start that returns "" instead of skipping, for tests that
// run other backends too; with MCPSCOPE_REQUIRE_REDIS=1 it still fails.
func TryStart(t testing.TB) string {
	t.Helper()
	addr, err := start(t)
	if err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_REDIS") == "1" {
			t.Fatalf("%v, and MCPSCOPE_REQUIRE_REDIS=1", err)
		}
		t.Logf("SKIP real Redis: %v (apt-get install redis-server)", err)
		return ""
	}
	return addr
}

func start(t testing.TB) (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", err
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, nil
		}
	}
	return "", fmt.Errorf("redis-server did not listen on %s", addr)
}
