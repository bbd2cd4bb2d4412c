package bridge

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// Hand-written stdio servers for the cases the go-sdk server does not
// show.
func init() {
	mcptest.RegisterStdioMode("bridge-exit", serveThenExit)
	mcptest.RegisterStdioMode("bridge-flood", serveFlood)
	mcptest.RegisterStdioMode("bridge-close-stdout", serveThenCloseStdout)
	mcptest.RegisterStdioMode("bridge-huge", serveHuge)
}

// serveHuge writes a line that is not JSON before its answer to
// initialize; a tools/call answers with a text of arguments.size bytes.
func serveHuge() int {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Arguments struct {
					Size int `json:"size"`
				} `json:"arguments"`
			} `json:"params"`
		}
		if json.Unmarshal(in.Bytes(), &m) != nil || m.ID == nil {
			continue
		}
		switch m.Method {
		case "initialize":
			fmt.Fprintln(out, "server starting (not JSON) {")
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"huge","version":"1"}}}`+"\n", m.ID)
		case "tools/call":
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"%s"}]}}`+"\n", m.ID, strings.Repeat("x", m.Params.Arguments.Size))
		default:
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{}}`+"\n", m.ID)
		}
		out.Flush()
	}
	return 0
}

// serveThenCloseStdout answers initialize; at a tools/call it closes its
// stdout, and runs on until its stdin closes.
func serveThenCloseStdout() int {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(in.Bytes(), &m) != nil || m.ID == nil {
			continue
		}
		switch m.Method {
		case "initialize":
			fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"mute","version":"1"}}}`+"\n", m.ID)
		case "tools/call":
			os.Stdout.Close()
		}
	}
	return 0
}

// floodLines and floodLine are what the flood tool writes: far more than a
// pipe holds.
const (
	floodLines = 2000
	floodLine  = 1024
)

// serveFlood answers initialize; a tools/call writes floodLines log
// notifications (floodLine bytes of data each, numbered), says "flood
// written" on stderr, then answers.
func serveFlood() int {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	pad := strings.Repeat("x", floodLine)
	for in.Scan() {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(in.Bytes(), &m) != nil || m.ID == nil {
			continue
		}
		switch m.Method {
		case "initialize":
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{},"logging":{}},"serverInfo":{"name":"flood","version":"1"}}}`+"\n", m.ID)
		case "tools/call":
			for i := range floodLines {
				fmt.Fprintf(out, `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"%d %s"}}`+"\n", i, pad)
			}
			out.Flush()
			fmt.Fprintln(os.Stderr, "flood written")
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"flooded"}]}}`+"\n", m.ID)
		default:
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{}}`+"\n", m.ID)
		}
		out.Flush()
	}
	return 0
}

// serveThenExit answers initialize and tools/list, and exits with status
// 3 (saying why on stderr) when a tool is called, without answering.
func serveThenExit() int {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(in.Bytes(), &m) != nil || m.ID == nil {
			continue
		}
		switch m.Method {
		case "initialize":
			fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"exit","version":"1"}}}`+"\n", m.ID)
		case "tools/call":
			fmt.Fprintln(os.Stderr, "crashing on purpose")
			return 3
		default:
			fmt.Printf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no"}}`+"\n", m.ID)
		}
	}
	return 0
}
