package mcptest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// AskFloodRequests is how many sampling requests the ask-flood server
// writes at a tools/call before it reads a line: answers to them are
// several pipes' worth.
const AskFloodRequests = 3000

func init() { RegisterStdioMode("ask-flood", serveAskFlood) }

// serveAskFlood is a single-threaded server: it answers initialize; at a
// tools/call it writes AskFloodRequests sampling requests (ids "s1"…)
// without reading its stdin, then reads until their answers came, and
// answers the call with the text "answers N".
func serveAskFlood() int {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
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
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"ask-flood","version":"1"}}}`+"\n", m.ID)
		case "tools/call":
			for i := 1; i <= AskFloodRequests; i++ {
				fmt.Fprintf(out, `{"jsonrpc":"2.0","id":"s%d","method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}}`+"\n", i)
			}
			out.Flush()
			n := 0
			for n < AskFloodRequests && in.Scan() {
				if strings.HasPrefix(in.Text(), `{"jsonrpc":"2.0","id":"s`) {
					n++
				}
			}
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"answers %d"}]}}`+"\n", m.ID, n)
		default:
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{}}`+"\n", m.ID)
		}
		out.Flush()
	}
	return 0
}
