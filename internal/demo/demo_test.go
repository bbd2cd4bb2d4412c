package demo

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestListenServesOnlyOnceStarted: Listen gives the server's URL at once
// but answers nothing until Start (a client waits in the listen queue, as
// the demo's UI shows "starting the demo server…"); after Start the MCP
// endpoint answers; Close ends it, and closing a server never started
// frees its port.
func TestListenServesOnlyOnceStarted(t *testing.T) {
	s, err := Listen(mcpserver.Stateful, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	get := func(timeout time.Duration) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	if _, err := get(200 * time.Millisecond); err == nil {
		t.Fatal("the server answered before Start")
	}
	s.Start()
	resp, err := get(5 * time.Second)
	if err != nil {
		t.Fatalf("after Start: %v", err)
	}
	if resp.StatusCode == http.StatusNotFound {
		t.Fatalf("after Start, %s: %s", s.URL, resp.Status)
	}
	s.Close()
	s.Start() // after Close: nothing
	if _, err := get(time.Second); err == nil {
		t.Fatal("the server answered after Close")
	}

	unstarted, err := Listen(mcpserver.Stateful, nil)
	if err != nil {
		t.Fatal(err)
	}
	unstarted.Close()
	if _, err := http.Get(unstarted.URL); err == nil {
		t.Fatal("a server closed before Start still takes connections")
	}
}
