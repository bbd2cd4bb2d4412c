package checks_test

import (
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/proxy"
)

// FuzzChecker feeds the checker messages whose text a peer chose (any
// bytes), in both directions, on a few sessions, exchanges and streams,
// with http observations between them: it never panics, and every finding
// it makes names a rule and cites a section.
func FuzzChecker(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2026-07-28"}}`, uint8(0))
	f.Add(`{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","_meta":{"progressToken":[1,{"a":2}]}}}`, `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":[1,{"a":2}],"progress":"x"}}`, uint8(3))
	f.Add(`{"jsonrpc":"2.0","id":null,"method":"notifications/cancelled","params":{"requestId":{"x":1}}}`, `{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":1},{"name":"a","inputSchema":[]}]}}`, uint8(7))
	f.Add(`[1,2`, `{"jsonrpc":"2.0","id":9e999,"error":{"code":"x"}}`, uint8(255))
	f.Fuzz(func(t *testing.T, client, server string, shape uint8) {
		c := checks.New(checks.Options{HungAfter: time.Millisecond, Grace: time.Millisecond})
		at := time.Unix(1e9, 0)
		seq := uint64(0)
		report := func(o *proxy.Observation) {
			if o.Finding == nil || checks.RuleByID(o.Finding.Rule) == nil || o.Finding.URL == "" || o.Finding.Message == "" {
				t.Fatalf("finding without a rule, citation or message: %+v", o.Finding)
			}
		}
		sessions := []string{"s-1", "conn-1", string(make([]byte, 100))}
		for i := range 6 {
			for _, m := range []struct {
				text string
				dir  proxy.Direction
			}{{client, proxy.ClientToServer}, {server, proxy.ServerToClient}} {
				seq++
				at = at.Add(time.Millisecond)
				env := jsonrpc.Read(m.text)
				o := &proxy.Observation{Seq: seq, Time: at, Type: proxy.TypeMessage, Session: sessions[(int(shape)+i)%3],
					Exchange: "ex-" + string(rune('0'+i%3)), Direction: m.dir, Kind: env.Kind, Method: env.Method, ID: proxy.RawJSON(env.ID), Body: m.text}
				if shape&1 != 0 && m.dir == proxy.ServerToClient {
					o.Type, o.Stream, o.HasID, o.Retry, o.Raw = proxy.TypeSSEEvent, "st-1", shape&2 != 0, int64(shape&4), "data: "+m.text
				}
				c.Observe(o, report)
				if m.dir == proxy.ClientToServer {
					seq++
					c.Observe(&proxy.Observation{Seq: seq, Time: at, Type: proxy.TypeHTTP, Session: o.Session, Exchange: o.Exchange,
						HTTP: &proxy.HTTPExchange{Method: "POST", Status: 200 + int(shape%3)*101, ContentType: server, Revision: "2026-07-28",
							RequestHeaders: map[string][]string{"Mcp-Method": {client}, "mcp-name": {"=?base64?" + server + "?="}, "Last-Event-ID": nil}}}, report)
				}
			}
			if shape&8 != 0 {
				c.Observe(&proxy.Observation{Type: proxy.TypeDropped, Dropped: 1}, report)
			}
			c.Tick(at.Add(time.Second), report)
		}
		c.Finish(at.Add(time.Hour), report)
	})
}
