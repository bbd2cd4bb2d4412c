package cluster

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcpscope/mcpscope/proxy"
)

// Engine is a proxy whose stream and session control reaches the other
// instances (Peers.Act), for the TUI: it has the methods of ui.Engine. Its
// listings add the other instances' streams and sessions as last seen
// (engine_view.go), so they show in the TUI and can be paused there. An
// act blocks for at most the Peers' timeout; one that left instances
// unreached returns an error saying where it applied and where not.
type Engine struct {
	*proxy.Proxy
	Peers *Peers
}

func (e Engine) PauseStream(id, by string) error   { return e.act("streams", id, "pause", by) }
func (e Engine) ResumeStream(id, by string) error  { return e.act("streams", id, "resume", by) }
func (e Engine) StepStream(id, by string) error    { return e.act("streams", id, "step", by) }
func (e Engine) PauseSession(id, by string) error  { return e.act("sessions", id, "pause", by) }
func (e Engine) ResumeSession(id, by string) error { return e.act("sessions", id, "resume", by) }

func (e Engine) act(kind, id, action, by string) error {
	out, err := e.Peers.Act(context.Background(), kind, id, action, by)
	e.Peers.wakeView()
	if err != nil || len(out.Unreached) == 0 {
		return err
	}
	missed := make([]string, len(out.Unreached))
	for i, u := range out.Unreached {
		missed[i] = u.Instance + " (" + u.Error + ")"
	}
	return fmt.Errorf("%s on %s, but not on %s", action, strings.Join(out.Applied, ", "), strings.Join(missed, "; "))
}
