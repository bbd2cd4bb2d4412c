package cluster

import (
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// viewEvery is how often the TUI's view of the other instances refreshes.
const viewEvery = time.Second

// remoteView is the other instances' streams and sessions as the TUI last
// saw them: refreshed in the background (every viewEvery, and at once
// after an act), so the TUI, which lists every tick, never waits on Redis.
// Streams' ids are refs ("st-3@A").
type remoteView struct {
	streams  []proxy.StreamInfo
	sessions []proxy.SessionInfo
	started  bool
	wake     chan struct{} // capacity 1: a refresh is wanted
}

// view returns the cached view of the other instances, starting its
// refresher on first use (it ends with Close).
func (p *Peers) view() ([]proxy.StreamInfo, []proxy.SessionInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := &p.remote
	if !v.started && p.ctx.Err() == nil { // under p.mu, as Close cancels: no Add after its Wait
		v.started, v.wake = true, make(chan struct{}, 1)
		p.wg.Add(1)
		go p.refreshView()
	}
	return v.streams, v.sessions
}

// wakeView asks for a refresh now (after an act), without waiting.
func (p *Peers) wakeView() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.remote.wake != nil {
		select {
		case p.remote.wake <- struct{}{}:
		default:
		}
	}
}

// refreshView gathers the other instances' listings until Close; an
// instance that does not answer drops out of the view until it does.
func (p *Peers) refreshView() {
	defer p.wg.Done()
	tick := time.NewTicker(viewEvery)
	defer tick.Stop()
	for {
		var streams []proxy.StreamInfo
		var sessions []proxy.SessionInfo
		p.gather(p.ctx, "list/streams", func(m message) {
			for _, s := range m.Streams {
				s.ID = Ref(s.ID, m.From)
				streams = append(streams, s)
			}
		})
		p.gather(p.ctx, "list/sessions", func(m message) { sessions = append(sessions, m.Sessions...) })
		p.mu.Lock()
		p.remote.streams, p.remote.sessions = streams, sessions
		wake := p.remote.wake
		p.mu.Unlock()
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		case <-wake:
		}
	}
}

// Streams lists this instance's streams, then the other instances' as
// last seen (ids as refs, "st-3@A"): the TUI shows them and acts on them
// through Act.
func (e Engine) Streams() []proxy.StreamInfo {
	remote, _ := e.Peers.view()
	return append(e.Proxy.Streams(), remote...)
}

// Sessions lists this instance's sessions, with the open streams other
// instances carry for them counted in, then the sessions only other
// instances know (once each, their streams summed).
func (e Engine) Sessions() []proxy.SessionInfo {
	_, remote := e.Peers.view()
	local := e.Proxy.Sessions()
	at := make(map[string]int, len(local))
	for i, s := range local {
		at[s.ID] = i
	}
	for _, s := range remote {
		if i, ok := at[s.ID]; ok {
			local[i].Streams += s.Streams
			local[i].Paused = local[i].Paused || s.Paused
			continue
		}
		at[s.ID] = len(local)
		local = append(local, s)
	}
	return local
}
