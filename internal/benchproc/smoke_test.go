package main

import (
	"os"
	"os/exec"
	"path/filepath"
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
	if out, err := exec.Command("go", "build", "-o", bin, "mcpscope").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	routes := []string{"pipe", "headless"}
	if _, err := exec.LookPath("tmux"); err == nil {
		routes = append(routes, "tui")
	} else {
		t.Log("tmux not installed: the tui route is not checked")
	}
	wl, _ := pickWorkloads("sat-256B-1")
	cfg := config{bin: bin, routes: routes, workloads: wl, rounds: 1, duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond}
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
