package store_test

import (
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy/store"
)

// TestNewSessionKeepsInitializeUpToTheBound: an initialize request of
// exactly MaxInitialize bytes is kept; one byte more is not (its size is
// noted), while its protocol version and client info still are.
func TestNewSessionKeepsInitializeUpToTheBound(t *testing.T) {
	body := func(size int) []byte {
		head := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","clientInfo":{"name":"c"},"pad":"`
		return []byte(head + strings.Repeat("x", size-len(head)-3) + `"}}`)
	}
	at := store.NewSession("p", "u", "http://up", body(store.MaxInitialize))
	if len(at.Initialize) != store.MaxInitialize || at.InitializeDropped != 0 {
		t.Errorf("at the bound: kept %d bytes, dropped %d; want it kept", len(at.Initialize), at.InitializeDropped)
	}
	over := store.NewSession("p", "u", "http://up", body(store.MaxInitialize+1))
	if over.Initialize != "" || over.InitializeDropped != store.MaxInitialize+1 || over.ProtocolVersion != "2025-06-18" || over.ClientInfo != `{"name":"c"}` {
		t.Errorf("one byte over: kept %d bytes, dropped %d, version %q, client info %q; want only its size noted besides version and client info",
			len(over.Initialize), over.InitializeDropped, over.ProtocolVersion, over.ClientInfo)
	}
}
