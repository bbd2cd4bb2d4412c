package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// startTUI starts mcpscope with its UI attached to a pseudo-terminal: a
// detached pane of tuiWidth×tuiHeight on a tmux server of its own, whose
// socket and configuration live in dir (the user's tmux server and
// ~/.tmux.conf are never touched). The pane runs mcpscope itself (exec),
// so the pane's pid is mcpscope's.
func startTUI(bin, upstream, dir string) (*route, error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return nil, fmt.Errorf("tui: tmux not installed (the TUI needs a terminal to run in): %w", err)
	}
	socket, conf := filepath.Join(dir, "tmux.sock"), filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g default-shell /bin/sh\nset -g status off\nset -g history-limit 100\n"), 0o600); err != nil {
		return nil, err
	}
	tmux := func(args ...string) (string, error) {
		cmd := exec.Command("tmux", append([]string{"-S", socket, "-f", conf}, args...)...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	stderr := filepath.Join(dir, "tui.stderr")
	os.Remove(stderr) // an earlier pane's: it says where that one listened
	command := "exec " + shellQuote(bin)
	for _, a := range mcpscopeArgs(upstream) {
		command += " " + shellQuote(a)
	}
	command += " 2>" + shellQuote(stderr)
	if out, err := tmux("new-session", "-d", "-s", "bench", "-x", strconv.Itoa(tuiWidth), "-y", strconv.Itoa(tuiHeight), command); err != nil {
		return nil, fmt.Errorf("tmux new-session: %v: %s", err, out)
	}
	stop := func() { tmux("kill-server") }
	out, err := tmux("display-message", "-p", "-t", "bench", "#{pane_pid}")
	pid, perr := strconv.Atoi(out)
	if err != nil || perr != nil {
		stop()
		return nil, fmt.Errorf("tmux: no pane pid (%q, %v)", out, err)
	}
	exited := make(chan struct{})
	go func() { // the pane's process is not our child: poll
		for processAlive(pid) {
			time.Sleep(50 * time.Millisecond)
		}
		close(exited)
	}()
	url, err := waitListening(stderr, exited)
	if err != nil {
		stop()
		return nil, fmt.Errorf("tui: %w", err)
	}
	return &route{name: "tui", url: url, pid: pid, stop: stop}, nil
}

func processAlive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
