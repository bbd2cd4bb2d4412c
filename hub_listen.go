package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/proxy"
)

// startHub makes this mcpscope the hub: wrapped stdio sessions (mcpscope
// wrap) connect on o.hub and go through p like any session. It returns
// what stops it (their connections end; each wrap then relays on
// unobserved), and whether it listens. "off" disables it; a live hub
// already on the path, or a socket that cannot be made, is a one-line
// notice (fatal only to mcpscope hub, see serve).
func startHub(o *options, p *proxy.Proxy, stderr io.Writer) (stop func(), listening bool) {
	if o.hub == "off" || o.hub == "" {
		return func() {}, false
	}
	ln, err := hub.Listen(o.hub)
	if err != nil {
		if errors.Is(err, hub.ErrHubRunning) {
			fmt.Fprintf(stderr, "mcpscope: another mcpscope is the hub on %s: wrapped stdio sessions show there, not here (--hub PATH for another)\n", o.hub)
		} else {
			fmt.Fprintf(stderr, "mcpscope: warning: no hub for wrapped stdio sessions: %v\n", err)
		}
		return func() {}, false
	}
	s := &hub.Server{Proxy: p}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(ln); err != nil {
			fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		}
	}()
	fmt.Fprintf(stderr, "mcpscope: hub on %s (mcpscope wrap -- CMD sessions show here)\n", o.hub)
	return func() {
		s.Close()
		<-done
	}, true
}
