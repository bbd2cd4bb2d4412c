package proxy

import (
	"strconv"
	"testing"
	"time"
)

// TestOperationsBounded: an index never holds more than maxOperations
// entries, and an entry older than operationMaxAge is not found (and is
// forgotten), so a client that never retries cannot grow the tracker.
func TestOperationsBounded(t *testing.T) {
	var ops operations
	now := time.Now()
	for i := range 3 * maxOperations {
		ops.byKey = put(ops.byKey, strconv.Itoa(i), &opRound{op: "op", at: now}, now)
		if len(ops.byKey) > maxOperations {
			t.Fatalf("after %d puts the index holds %d entries, more than %d", i+1, len(ops.byKey), maxOperations)
		}
	}
	old := now.Add(-operationMaxAge - time.Second)
	ops.byKey = put(ops.byKey, "old", &opRound{op: "op", at: old}, old)
	if r := ops.live(ops.byKey, "old", now); r != nil {
		t.Errorf("an entry %v old was found", now.Sub(old))
	}
	if _, ok := ops.byKey["old"]; ok {
		t.Error("an expired entry was kept")
	}
}

// TestOperationRetryMatch: a retry joins the pending operation by its
// requestState even when its arguments differ, by name and arguments
// (keys in any order) when it has no requestState, and a request that is
// not a retry starts a new operation even with the same arguments.
func TestOperationRetryMatch(t *testing.T) {
	var ops operations
	req := func(scope, params string) *Observation {
		o := &Observation{Kind: KindRequest, Direction: ClientToServer, Method: "tools/call"}
		ops.note(o, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":`+params+`}`, scope)
		return o
	}
	answer := func(o *Observation, result string) {
		a := &Observation{Kind: KindResult, Method: o.Method, Operation: o.Operation, Round: o.Round, opKey: o.opKey}
		ops.note(a, `{"jsonrpc":"2.0","id":1,"result":`+result+`}`, "")
	}
	first := req("conn-1", `{"name":"t","arguments":{"a":1,"b":2}}`)
	answer(first, `{"resultType":"input_required","requestState":"s1"}`)
	byState := req("conn-2", `{"name":"t","arguments":{"changed":true},"requestState":"s1","inputResponses":{}}`)
	if byState.Operation != first.Operation || byState.Round != 2 {
		t.Errorf("retry by requestState: %q round %d, want %q round 2", byState.Operation, byState.Round, first.Operation)
	}
	answer(byState, `{"resultType":"input_required"}`)
	byArgs := req("conn-3", `{"name":"t","arguments":{"b":2,"a":1},"inputResponses":{"k":{}}}`)
	if byArgs.Operation != first.Operation || byArgs.Round != 3 {
		t.Errorf("retry by arguments: %q round %d, want %q round 3", byArgs.Operation, byArgs.Round, first.Operation)
	}
	fresh := req("conn-3", `{"name":"t","arguments":{"a":1,"b":2}}`)
	if fresh.Operation == first.Operation || fresh.Round != 1 {
		t.Errorf("a new call: %q round %d, want a new operation", fresh.Operation, fresh.Round)
	}
	other := req("sess-A", `{"name":"t","arguments":{"a":1,"b":2},"inputResponses":{"k":{}}}`)
	if other.Operation == first.Operation || other.Operation == fresh.Operation {
		t.Errorf("a retry in another session joined %q", other.Operation)
	}
}

// TestOperationProgress: progress notifications join the operation of the
// request whose progressToken they carry, in its session only.
func TestOperationProgress(t *testing.T) {
	var ops operations
	call := &Observation{Kind: KindRequest, Direction: ClientToServer, Method: "tools/call"}
	ops.note(call, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"p","_meta":{"progressToken":"tok"}}}`, "sess-A")
	progress := func(scope string) *Observation {
		o := &Observation{Kind: KindNotification, Direction: ServerToClient, Method: "notifications/progress"}
		ops.note(o, `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":1}}`, scope)
		return o
	}
	if o := progress("sess-A"); o.Operation != call.Operation || o.Operation == "" || o.Round != 1 {
		t.Errorf("progress in the session: %q round %d, want %q round 1", o.Operation, o.Round, call.Operation)
	}
	if o := progress("sess-B"); o.Operation != "" {
		t.Errorf("progress in another session joined %q", o.Operation)
	}
}
