package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/internal/redistest"
)

// TestTUIControlsAnotherInstance: the real binary's TUI, instance b, shows
// the GET stream a go-sdk client has through instance a (as st-N@a, under
// its session) and names itself in the status bar; P on that session in
// the sessions pane pauses it on a, and P again resumes it.
func TestTUIControlsAnotherInstance(t *testing.T) {
	requireTmux(t)
	redis := "redis://" + redistest.Start(t) + "/0"
	bin := buildBinary(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	a, _ := startCLIWaiting(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store", redis, "--instance", "a",
		"--control", "127.0.0.1:0", "--control-token", "tok"}, `listening on http://(\S+)`, `control API on http://(\S+) `)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+a[0]+"/mcp", mcptest.ClientOptions{})
	term := startInTmux(t, bin, "-u", up.URL, "-l", "127.0.0.1:0", "--store", redis, "--instance", "b")
	screen := term.waitScreen("a's GET stream in b's sessions pane", 20*time.Second, func(s string) bool {
		return regexp.MustCompile(`st-\d+@a\s+get\s+flowing`).MatchString(s)
	})
	if !strings.Contains(screen, "instance b") {
		t.Errorf("b's status bar does not name the instance:\n%s", screen)
	}

	paused := func() (bool, string) { // the session as a's control API lists it
		req, _ := http.NewRequest("GET", "http://"+a[1]+"/api/sessions", nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var list []struct {
			ID       string
			Paused   bool
			PausedBy string `json:"paused_by"`
		}
		json.Unmarshal(body, &list)
		for _, s := range list {
			if s.ID == cs.ID() {
				return s.Paused, s.PausedBy
			}
		}
		t.Fatalf("a does not list the session %s: %s", cs.ID(), body)
		return false, ""
	}
	wait := func(want bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got, by := paused(); got == want && (!want || by == "tui@b") {
				return
			}
		}
		got, by := paused()
		t.Fatalf("the session on a: paused %v by %q, want paused %v (by tui@b)\n%s", got, by, want, term.dump())
	}

	term.sendKeys("\t") // the sessions pane: its cursor is on the only session
	term.waitScreen("the sessions pane's keys", 10*time.Second, func(s string) bool { return strings.Contains(s, "pause/resume session") })
	term.sendKeys("P")
	wait(true)
	term.waitScreen("a's stream shown paused", 10*time.Second, func(s string) bool {
		return regexp.MustCompile(`st-\d+@a\s+get\s+⏸`).MatchString(s)
	})
	term.sendKeys("P")
	wait(false)
	term.sendKeys("q")
	if status := term.waitExit(15 * time.Second); status != 0 {
		t.Fatalf("b exited with status %d\n%s", status, term.dump())
	}
}
