package bridge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// A bridged stdio session's request is re-sent through the bridge: the
// go-sdk stdio child gets it once (one line with mcpscope's id went to
// it), answers, and the answer comes back to the re-send, linked to it,
// while the session's client goes on unaware. Without the bridge set as
// the engine's StdioResend, the session is refused with the reason.
func TestResendOnABridgedSession(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, mcptest.StdioServerCommand("sdk"), nil)
	sub := r.p.Bus.Subscribe(1 << 16)
	cs, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, r.url, mcptest.ClientOptions{})
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "over stdio"}}); err != nil {
		t.Fatal(err)
	}
	var seen []*proxy.Observation
	await := func(keep func(*proxy.Observation) bool) *proxy.Observation {
		for deadline := time.Now().Add(timeout); time.Now().Before(deadline); {
			for _, o := range seen {
				if keep(o) {
					return o
				}
			}
			c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			batch, _ := sub.Next(c)
			cancel()
			seen = append(seen, batch...)
		}
		t.Fatal("not observed")
		return nil
	}
	orig := await(func(o *proxy.Observation) bool { return o.Kind == proxy.KindRequest && o.Tool == "echo" })
	req := proxy.ResendRequest{Session: orig.Session, Body: orig.Body, From: orig.Seq}

	if _, err := r.p.Resend(ctx, req); !errors.Is(err, proxy.ErrResendHTTPOnly) {
		t.Errorf("re-send with no StdioResend: %v, want ErrResendHTTPOnly", err)
	}
	r.p.StdioResend = r.b
	res, err := r.p.Resend(ctx, req)
	if err != nil || res.Failure != "" || !strings.Contains(res.Answer, "over stdio") || res.ID != `"mcpscope-resend-1"` {
		t.Fatalf("re-send through the bridge = %+v, %v", res, err)
	}
	sent := await(func(o *proxy.Observation) bool { return o.Kind == proxy.KindRequest && string(o.ID) == res.ID })
	ans := await(func(o *proxy.Observation) bool { return o.Kind == proxy.KindResult && string(o.ID) == res.ID })
	if !sent.Has(proxy.FlagResent) || sent.ResentFrom != orig.Seq || ans.RequestSeq != sent.Seq || !ans.Has(proxy.FlagResent) || ans.Tool != "echo" {
		t.Errorf("re-sent request %+v, its answer %+v: want both marked, the answer linked", sent, ans)
	}
	n := 0
	for _, o := range seen {
		if o.Kind == proxy.KindRequest && string(o.ID) == res.ID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the re-sent request went to the child %d times, want 1", n)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "still fine"}}); err != nil {
		t.Errorf("the client's session after the re-send: %v", err)
	}
}
