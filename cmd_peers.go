package main

import (
	"fmt"
	"io"

	"github.com/mcpscope/mcpscope/cluster"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
	"github.com/mcpscope/mcpscope/ui"
)

// startPeers starts control across instances when the session store is
// Redis (package cluster): the control API and the TUI then reach the
// streams and sessions the other instances on that Redis carry. It returns
// nil Peers with any other store (and says so if --instance was given),
// and an error if the instance id is invalid or already live there. The
// caller closes the Peers before the store.
func startPeers(o *options, p *proxy.Proxy, stderr io.Writer) (*cluster.Peers, error) {
	rs, ok := p.Store.(*store.Redis)
	if !ok {
		if o.instance != "" {
			fmt.Fprintf(stderr, "mcpscope: warning: --instance %s is for instances sharing a --store redis://; alone, it does nothing\n", o.instance)
		}
		return nil, nil
	}
	peers, err := cluster.Start(rs.Client(), p, cluster.Options{ID: o.instance, Prefix: rs.Prefix, Logger: p.Logger})
	if err != nil {
		return nil, fmt.Errorf("--instance: %w", err)
	}
	fmt.Fprintf(stderr, "mcpscope: instance %s: the control API and the UI reach the streams of every instance on %s\n", peers.ID(), rs.Name())
	return peers, nil
}

// engine is what the TUI controls: the proxy, with its stream and session
// control carried to the other instances when there are Peers.
func (o *options) engine(p *proxy.Proxy) ui.Engine {
	if o.peers == nil {
		return p
	}
	return cluster.Engine{Proxy: p, Peers: o.peers}
}
