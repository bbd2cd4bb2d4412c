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

// BenchmarkRequestParams is reading a tools/call's params for the tracker,
// as every tools/call is read: with the gjson walk (requestParams) and, for
// comparison, with encoding/json (parseOp, which it replaces there).
func BenchmarkRequestParams(b *testing.B) {
	text := `{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"bench","arguments":{"q":"x","n":3},"_meta":{"progressToken":17}}}`
	b.Run("read=scan", func(b *testing.B) {
		for b.Loop() {
			if p, ok := requestParams(text); !ok || p.Name != "bench" {
				b.Fatal("not read")
			}
		}
	})
	b.Run("read=encoding-json", func(b *testing.B) {
		for b.Loop() {
			if m, ok := parseOp(text); !ok || m.Params.Name != "bench" {
				b.Fatal("not read")
			}
		}
	})
	b.Run("read=note", func(b *testing.B) { // the whole of linking it, fingerprint and digests included
		var ops operations
		for b.Loop() {
			o := &Observation{Kind: KindRequest, Direction: ClientToServer, Method: "tools/call"}
			ops.note(o, text, "s")
		}
	})
}
