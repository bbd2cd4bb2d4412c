package mcptest

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
)

// Stdio servers for tests. A test needs a real process that speaks MCP on
// its stdin and stdout, as the servers clients launch do. Building one
// with the go tool in each test would be slow; instead the test binary
// itself is started again (os.Args[0]) with stdioServerArg and a mode, and
// a TestMain that calls RunStdioServerIfAsked first serves that mode and
// exits. Modes register with RegisterStdioMode; "sdk" is the go-sdk demo
// server (mcpserver.New) on mcp.StdioTransport.

// stdioServerArg marks a test binary started as a stdio server.
const stdioServerArg = "-mcptest.stdio-server"

var (
	modesMu    sync.Mutex
	stdioModes = map[string]func() int{"sdk": serveSDKStdio}
)

// RegisterStdioMode adds a stdio server mode: serve runs in the re-executed
// test binary with the process's stdin and stdout, and returns its exit
// status. Call it from an init function, so the re-executed binary knows
// the mode before TestMain runs.
func RegisterStdioMode(mode string, serve func() int) {
	modesMu.Lock()
	defer modesMu.Unlock()
	if _, dup := stdioModes[mode]; dup {
		panic("mcptest: stdio mode registered twice: " + mode)
	}
	stdioModes[mode] = serve
}

// StdioServerCommand returns the command line that starts a stdio server
// of the given mode: this test binary, started again. Its package's
// TestMain must call RunStdioServerIfAsked first.
func StdioServerCommand(mode string) []string {
	return []string{os.Args[0], stdioServerArg, mode}
}

// RunStdioServerIfAsked serves a stdio server mode and exits if this
// process was started by StdioServerCommand; otherwise it returns at once.
// Call it first in TestMain.
func RunStdioServerIfAsked() {
	if len(os.Args) < 3 || os.Args[1] != stdioServerArg {
		return
	}
	modesMu.Lock()
	serve, ok := stdioModes[os.Args[2]]
	modes := make([]string, 0, len(stdioModes))
	for m := range stdioModes {
		modes = append(modes, m)
	}
	modesMu.Unlock()
	if !ok {
		sort.Strings(modes)
		fmt.Fprintf(os.Stderr, "mcptest stdio server: unknown mode %q (have %v)\n", os.Args[2], modes)
		os.Exit(2)
	}
	os.Exit(serve())
}

// serveSDKStdio serves the demo server (mcpserver.New) on stdin/stdout
// with the go-sdk's StdioTransport until the client closes stdin or a
// signal ends it.
func serveSDKStdio() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	server := mcpserver.New(mcpserver.Options{Stop: ctx})
	if err := server.Run(ctx, &mcp.StdioTransport{}); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "mcptest stdio server:", err)
		return 1
	}
	return 0
}
