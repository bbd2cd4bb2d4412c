package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the harness's children (the
// upstream and the pipe), as the command does.
func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "upstream":
		os.Exit(serveUpstream())
	case "pipe":
		os.Exit(servePipe())
	}
	os.Exit(m.Run())
}

// TestSmoke runs one short round of 256 B events on one stream through
// pipe and headless (and tui, where tmux is installed) and checks that
// events arrived through each and every figure came out.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mcpscope and starts processes")
	}
	bin := filepath.Join(t.TempDir(), "mcpscope")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/mcpscope/mcpscope").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	routes := []string{"pipe", "headless"}
	if _, err := exec.LookPath("tmux"); err == nil {
		routes = append(routes, "tui")
	} else {
		t.Log("tmux not installed: the tui route is not checked")
	}
	wl, _ := pickWorkloads("sat-256B-1")
	cfg := config{bin: bin, routes: routes, workloads: wl, rounds: 1, duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond, settle: 50 * time.Millisecond}
	rep, err := bench(cfg, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range routes {
		runs := rep.runs["sat-256B-1"][route]
		if len(runs) != 1 {
			t.Fatalf("%s: %d runs, want 1", route, len(runs))
		}
		f := runs[0]
		if f.eventsPerSec <= 0 || f.p50 <= 0 {
			t.Errorf("%s: %.0f events/s, p50 %.0f µs: want both above 0", route, f.eventsPerSec, f.p50)
		}
	}
}

// TestQueueSummary adds up ss's queues per hop.
func TestQueueSummary(t *testing.T) {
	ss := "ESTAB 0      4000   127.0.0.1:41995 127.0.0.1:46148\n" + // upstream's send queue
		"ESTAB 250    0      127.0.0.1:46148 127.0.0.1:41995\n" + // route's receive queue
		"ESTAB 7      0      127.0.0.1:48472 127.0.0.1:34957\n" + // client's receive queue
		"ESTAB 0      0      127.0.0.1:34957 127.0.0.1:48472\n"
	got := queueSummary(ss, "34957", "41995")
	if want := "# queued in the kernel: client hop 7 bytes, upstream hop 4250 bytes\n"; got != want {
		t.Errorf("queueSummary = %q, want %q", got, want)
	}
}

// TestStamp reads back the send time an event carries, at either size.
func TestStamp(t *testing.T) {
	for _, size := range []int{256, 16 << 10} {
		ev := appendProgress(nil, 7, size, 1234567890123)
		if len(ev) != size {
			t.Fatalf("event of %d bytes, want %d", len(ev), size)
		}
		_, data, _ := strings.Cut(string(ev), "\ndata: ")
		if ts, ok := stampOf([]byte(data)); !ok || ts != 1234567890123 {
			t.Errorf("size %d: stamp %d, %v", size, ts, ok)
		}
	}
}

// TestProcessCPU reads this process's CPU time, which is no less than
// what it just spent.
func TestProcessCPU(t *testing.T) {
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after < before || after-before > 5*time.Second {
		t.Errorf("CPU went from %v to %v over a 50 ms busy loop", before, after)
	}
}
