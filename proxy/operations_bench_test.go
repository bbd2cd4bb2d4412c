package proxy

import (
	"strings"
	"testing"
)

// BenchmarkOperationsProgress16KiB is what linking a 16 KiB progress
// notification to its operation costs once a request has named a token
// (from then on every progress notification is looked at).
func BenchmarkOperationsProgress16KiB(b *testing.B) {
	var ops operations
	call := &Observation{Kind: KindRequest, Direction: ClientToServer, Method: "tools/call"}
	ops.note(call, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"p","_meta":{"progressToken":"tok"}}}`, "s")
	text := `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":1,"message":"` + strings.Repeat("x", 16<<10) + `"}}`
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		o := &Observation{Kind: KindNotification, Direction: ServerToClient, Method: "notifications/progress"}
		ops.note(o, text, "s")
		if o.Operation != call.Operation {
			b.Fatal("not linked")
		}
	}
}
