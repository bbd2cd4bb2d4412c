package main

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/internal/redistest"
)

// TestControlAcrossInstances runs two mcpscope instances on one real
// Redis: a go-sdk client's GET stream through instance a is listed by b's
// control API naming a, and paused and resumed through b.
func TestControlAcrossInstances(t *testing.T) {
	redis := "redis://" + redistest.Start(t) + "/0"
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	args := func(id string) []string {
		return []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store", redis, "--instance", id,
			"--control", "127.0.0.1:0", "--control-token", "tok"}
	}
	a, _ := startCLIWaiting(t, args("a"), `instance (a): `, `listening on http://(\S+)`, `control API on http://(\S+) `)
	b, _ := startCLIWaiting(t, args("b"), `instance (b): `, `listening on http://(\S+)`, `control API on http://(\S+) `)
	mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+a[1]+"/mcp", mcptest.ClientOptions{})

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	call := func(api, method, path string, into any) int {
		req, _ := http.NewRequest(method, "http://"+api+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatalf("%s %s: %v in %q", method, path, err, data)
		}
		return resp.StatusCode
	}
	type streamEntry struct{ ID, Instance, Ref, Kind string }
	var all struct {
		Instance string
		Streams  []streamEntry
	}
	var get *streamEntry // the client's GET stream (its POST streams come and go)
	for deadline := time.Now().Add(10 * time.Second); get == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		call(b[2], "GET", "/api/streams?all=1", &all)
		for i, s := range all.Streams {
			if s.Kind == "get" {
				get = &all.Streams[i]
			}
		}
	}
	if all.Instance != "b" || get == nil || get.Instance != "a" || get.Ref != get.ID+"@a" {
		t.Fatalf("b's listing of every instance's streams: %+v, want a's GET stream", all)
	}
	ref := get.Ref
	var ok map[string]any
	if status := call(b[2], "POST", "/api/streams/"+ref+"/pause", &ok); status != 200 {
		t.Fatalf("pause %s through b: %d %v", ref, status, ok)
	}
	var own []struct {
		ID, Instance, State string
		PausedBy            string `json:"paused_by"`
	}
	state := func() (string, string, string) {
		call(a[2], "GET", "/api/streams", &own)
		for _, s := range own {
			if s.ID == get.ID {
				return s.Instance, s.State, s.PausedBy
			}
		}
		t.Fatalf("a's own streams %+v lack %s", own, get.ID)
		return "", "", ""
	}
	if instance, st, by := state(); instance != "a" || st == "flowing" || by != "api@b" {
		t.Fatalf("a's own stream after b paused: instance %s, state %s, paused by %s; want paused by api@b", instance, st, by)
	}
	if status := call(b[2], "POST", "/api/streams/"+ref+"/resume", &ok); status != 200 {
		t.Fatalf("resume %s through b: %d %v", ref, status, ok)
	}
	if _, st, _ := state(); st != "flowing" {
		t.Errorf("a's own stream after b resumed: %s, want flowing", st)
	}
}
