package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/proxy"
)

// mrtrServer is a go-sdk server whose "ask" tool needs one sampling answer
// (multi round-trip on 2026-07-28). With state set it hands the client a
// requestState and checks it comes back; without, the retry is linked by
// method, name and arguments only.
func mrtrServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "mrtr", Version: "0.1.0"}, nil)
	type askArgs struct {
		Topic string `json:"topic"`
		State bool   `json:"state"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "ask"}, func(_ context.Context, req *mcp.CallToolRequest, in askArgs) (*mcp.CallToolResult, any, error) {
		if r, ok := req.Params.InputResponses["q"]; ok {
			if in.State && req.Params.RequestState != "state-of-"+in.Topic {
				return nil, nil, fmt.Errorf("requestState = %q", req.Params.RequestState)
			}
			res, ok := r.(*mcp.CreateMessageWithToolsResult)
			if !ok || len(res.Content) != 1 {
				return nil, nil, fmt.Errorf("input response is %T", r)
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "answer: " + res.Content[0].(*mcp.TextContent).Text}}}, nil, nil
		}
		out := &mcp.CallToolResult{InputRequests: mcp.InputRequestMap{"q": &mcp.CreateMessageParams{
			MaxTokens: 10, Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: in.Topic}}},
		}}}
		if in.State {
			out.RequestState = "state-of-" + in.Topic
		}
		return out, nil, nil
	})
	srv := httptest.NewServer(mcpserver.Handler(mcpserver.Stateless, s, mcpserver.Options{}))
	t.Cleanup(srv.Close)
	return srv
}

// thinkingClient connects a 2026-07-28 go-sdk client whose sampling handler
// takes think to answer; keepAlive false gives every request its own
// connection.
func thinkingClient(t *testing.T, endpoint string, think time.Duration, keepAlive bool) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "thinker", Version: "0.1.0"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			time.Sleep(think)
			return &mcp.CreateMessageResult{Model: "m", Role: "assistant",
				Content: &mcp.TextContent{Text: "thought about " + req.Params.Messages[0].Content.(*mcp.TextContent).Text}}, nil
		},
	})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = !keepAlive
	t.Cleanup(tr.CloseIdleConnections)
	cs, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: tr}}, nil)
	if err != nil {
		t.Fatalf("client connecting to %s: %v", endpoint, err)
	}
	t.Cleanup(func() { cs.Close() })
	if v := cs.InitializeResult().ProtocolVersion; v != "2026-07-28" {
		t.Fatalf("negotiated %q, want 2026-07-28", v)
	}
	return cs
}

// TestChecklist2026MRTROneOperation: the rounds of a multi round-trip
// tools/call (2026-07-28) share one operation, count rounds 1 and 2, and the
// retry shows the client's think time; whether the retry is matched by its
// requestState or by name and arguments, and whether the rounds share a
// connection or not. The client gets the same result direct and through
// mcpscope.
func TestChecklist2026MRTROneOperation(t *testing.T) {
	const think = 50 * time.Millisecond
	for _, keepAlive := range []bool{true, false} {
		for _, state := range []bool{true, false} {
			t.Run(fmt.Sprintf("keepalive=%v/state=%v", keepAlive, state), func(t *testing.T) {
				t.Parallel()
				args := map[string]any{"topic": "tides", "state": state}
				up := mrtrServer(t)
				direct := callText(t, thinkingClient(t, up.URL, think, keepAlive), "ask", args)
				hs := startProxy(t, up.URL, nil)
				via := callText(t, thinkingClient(t, hs.URL, think, keepAlive), "ask", args)
				if direct != "answer: thought about tides" || via != direct {
					t.Fatalf("result direct %q, through mcpscope %q", direct, via)
				}

				isCall := func(k proxy.MessageKind) func(*proxy.Observation) bool {
					return func(o *proxy.Observation) bool {
						return (o.Type == proxy.TypeMessage || o.Type == proxy.TypeSSEEvent) && o.Method == "tools/call" && o.Kind == k
					}
				}
				reqs := hs.Seen.Await(t, 2, isCall(proxy.KindRequest))
				answers := hs.Seen.Await(t, 2, isCall(proxy.KindResult))
				if len(reqs) != 2 || len(answers) != 2 {
					t.Fatalf("saw %d tools/call requests and %d answers, want 2 and 2", len(reqs), len(answers))
				}
				op := reqs[0].Operation
				if op == "" {
					t.Fatal("first round has no operation")
				}
				for i, o := range append(reqs, answers...) {
					if o.Operation != op || o.Round != i%2+1 {
						t.Errorf("message %d (%s): operation %q round %d, want %q round %d", i, o.Kind, o.Operation, o.Round, op, i%2+1)
					}
				}
				if string(reqs[0].ID) == string(reqs[1].ID) {
					t.Errorf("both rounds have id %s", reqs[0].ID)
				}
				if reqs[0].ThinkTime != 0 || reqs[1].ThinkTime < think || reqs[1].ThinkTime > 5*time.Second {
					t.Errorf("think times %v, %v; want 0 and at least %v", reqs[0].ThinkTime, reqs[1].ThinkTime, think)
				}
				if !keepAlive && reqs[0].Session == reqs[1].Session {
					t.Errorf("without keep-alives both rounds came in scope %s", reqs[0].Session)
				}
				// A second call is a new operation.
				callText(t, thinkingClient(t, hs.URL, 0, keepAlive), "ask", args)
				reqs = hs.Seen.Await(t, 4, isCall(proxy.KindRequest))
				if len(reqs) != 4 || reqs[2].Operation == op || reqs[2].Operation == "" || reqs[3].Operation != reqs[2].Operation {
					t.Errorf("second call: operations %q %q, first was %q", reqs[2].Operation, reqs[3].Operation, op)
				}
			})
		}
	}
}

func callText(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("calling %s: %v", name, err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("calling %s: error or not one content block: %+v", name, res.Content)
	}
	return res.Content[0].(*mcp.TextContent).Text
}
