package proxy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// taskUpstream is a byte-level server for task-augmented tools/call: it
// answers the call with a task (the 2026-07-28 extension's resultType
// "task", or 2025-11-25's result.task), tasks/get with "working" and then
// "completed" (as an SSE stream that first sends notifications/tasks/status),
// and tasks/result (2025-11-25) with the tool's result carrying the
// related-task _meta.
func taskUpstream(t *testing.T, revision string) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &msg); err != nil {
			http.Error(w, "upstream: bad body", http.StatusBadRequest)
			return
		}
		answer := func(result string) string {
			return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, msg.ID, result)
		}
		modern := revision >= "2026-07-28"
		switch msg.Method {
		case "tools/call":
			w.Header().Set("Content-Type", "application/json")
			if modern {
				io.WriteString(w, answer(`{"resultType":"task","taskId":"task-7","status":"working","ttlSeconds":60,"pollIntervalMilliseconds":5}`))
			} else {
				io.WriteString(w, answer(`{"task":{"taskId":"task-7","status":"working","createdAt":"2026-01-01T00:00:00Z","lastUpdatedAt":"2026-01-01T00:00:00Z","ttl":60000,"pollInterval":5}}`))
			}
		case "tasks/get":
			if strings.Contains(string(body), "task-unknown") {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32602,"message":"no such task"}}`, msg.ID)
				return
			}
			mu.Lock()
			polls++
			n := polls
			mu.Unlock()
			status := "working"
			if n > 1 {
				status = "completed"
			}
			task := `{"taskId":"task-7","status":"` + status + `","createdAt":"2026-01-01T00:00:00Z","lastUpdatedAt":"2026-01-01T00:00:00Z","ttl":60000}`
			result := task
			if modern {
				result = `{"resultType":"complete","taskId":"task-7","status":"` + status + `"}`
				if status == "completed" {
					result = `{"resultType":"complete","taskId":"task-7","status":"completed","result":{"content":[{"type":"text","text":"done"}]}}`
				}
			}
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tasks/status\",\"params\":%s}\n\n", task)
			fmt.Fprintf(w, "data: %s\n\n", answer(result))
		case "tasks/result":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, answer(`{"content":[{"type":"text","text":"done"}],"_meta":{"io.modelcontextprotocol/related-task":{"taskId":"task-7"}}}`))
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// postRaw POSTs one JSON-RPC message on revision and returns the body.
func postRaw(t *testing.T, url, revision, body string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", revision)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("client: POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("client: reading the answer: %v", err)
	}
	return string(b)
}

// taskConversation runs a task-augmented call and its polling against url
// and returns what the client got, answer by answer.
func taskConversation(t *testing.T, url, revision string) []string {
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"n":1},"task":{"ttl":60000}}}`
	if revision >= "2026-07-28" {
		call = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"n":1},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`
	}
	got := []string{postRaw(t, url, revision, call)}
	for id := 2; id <= 3; id++ {
		got = append(got, postRaw(t, url, revision, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tasks/get","params":{"taskId":"task-7"}}`, id)))
	}
	if revision < "2026-07-28" {
		got = append(got, postRaw(t, url, revision, `{"jsonrpc":"2.0","id":4,"method":"tasks/result","params":{"taskId":"task-7"}}`))
	}
	// An unrelated call is an operation of its own.
	postRaw(t, url, revision, `{"jsonrpc":"2.0","id":9,"method":"tasks/get","params":{"taskId":"task-unknown"}}`)
	return got
}

// checkTaskOperation runs the conversation direct and through mcpscope and
// checks the client got the same bytes and that every message of the task
// is in the call's operation, the polls counting rounds.
func checkTaskOperation(t *testing.T, revision string) {
	direct := taskConversation(t, taskUpstream(t, revision).URL, revision)
	hs := startProxy(t, taskUpstream(t, revision).URL, nil)
	via := taskConversation(t, hs.URL, revision)
	if strings.Join(direct, "\n") != strings.Join(via, "\n") {
		t.Fatalf("client got through mcpscope:\n%s\ndirect:\n%s", via, direct)
	}
	isMsg := func(o *proxy.Observation) bool {
		return (o.Type == proxy.TypeMessage || o.Type == proxy.TypeSSEEvent) && o.Kind != ""
	}
	want := 2 + 2*3 + 2 // call + answer, two polls × (request, status, answer), the unrelated poll + answer
	if revision < "2026-07-28" {
		want += 2
	}
	msgs := hs.Seen.Await(t, want, isMsg)
	if len(msgs) != want {
		t.Fatalf("saw %d messages, want %d", len(msgs), want)
	}
	op := msgs[0].Operation
	if op == "" || msgs[0].Round != 1 {
		t.Fatalf("the tools/call has operation %q round %d", op, msgs[0].Round)
	}
	// Round n is the request with id n (the call, then each tasks/*
	// request) and its answer.
	roundOf := map[string]int{}
	for _, o := range msgs {
		if o.Kind == proxy.KindRequest {
			var n int
			fmt.Sscan(string(o.ID), &n)
			roundOf[o.Exchange] = n
		}
	}
	for _, o := range msgs {
		if strings.Contains(o.Body, "task-unknown") || string(o.ID) == "9" {
			if o.Operation != "" {
				t.Errorf("%s %s (id %s) joined operation %q", o.Kind, o.Method, o.ID, o.Operation)
			}
			continue
		}
		round := roundOf[o.Exchange]
		if o.Kind == proxy.KindNotification {
			round = 0 // a status notification joins the operation, not a round
		}
		if o.Operation != op || o.Round != round {
			t.Errorf("%s %s (id %s): operation %q round %d, want %q round %d", o.Kind, o.Method, o.ID, o.Operation, o.Round, op, round)
		}
	}
}

// TestChecklist2026TasksOneOperation: a tools/call answered with a task
// (tasks extension, resultType "task") and its tasks/get polling, with the
// task status notifications, show as one operation whose rounds count the
// polls; the client gets the same bytes direct and through mcpscope.
func TestChecklist2026TasksOneOperation(t *testing.T) {
	checkTaskOperation(t, "2026-07-28")
}

// TestChecklist20251125TasksOneOperation: the same for 2025-11-25 core
// tasks (result.task.taskId), with tasks/result and its related-task _meta.
func TestChecklist20251125TasksOneOperation(t *testing.T) {
	checkTaskOperation(t, "2025-11-25")
}
