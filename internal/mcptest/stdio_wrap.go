package mcptest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/mcpscope/mcpscope/jsonrpc"
)

// Hand-written stdio servers for mcpscope wrap's tests: each is a mode of
// StdioServerCommand.
func init() {
	RegisterStdioMode("flood", serveFlood)
	RegisterStdioMode("notjson", serveNotJSON)
	RegisterStdioMode("huge", serveHuge)
	RegisterStdioMode("exit-mid-call", serveExitMidCall)
	RegisterStdioMode("stubborn", serveStubborn)
}

// serveStubborn ignores SIGTERM and its stdin closing: only SIGKILL ends
// it. It writes "ready" once it ignores SIGTERM.
func serveStubborn() int {
	signal.Ignore(syscall.SIGTERM)
	os.Stdout.WriteString("ready\n")
	io.Copy(io.Discard, os.Stdin)
	time.Sleep(time.Hour)
	return 0
}

// Environment of the flood mode.
const (
	FloodLinesEnv = "MCPTEST_FLOOD_LINES" // lines to write (default 5000)
	FloodCountEnv = "MCPTEST_FLOOD_COUNT" // file the count of completed writes is kept in
	FloodExitEnv  = "MCPTEST_FLOOD_EXIT"  // set: exit 0 once written, without waiting for stdin to close
)

// FloodLine is the flood mode's line number seq (without its newline):
// a notification of about 1 KiB carrying seq.
func FloodLine(seq int) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":{"seq":%d,"pad":"%0990d"}}}`, seq, 0)
}

// serveFlood writes FloodLine(1..N) as fast as the pipe takes them, one
// write each, and after each completed write stores the count in the file
// named by FloodCountEnv (20 bytes, overwritten in place). Then it waits
// for stdin to close (unless FloodExitEnv is set) and exits 0.
func serveFlood() int {
	n := 5000
	if s := os.Getenv(FloodLinesEnv); s != "" {
		n, _ = strconv.Atoi(s)
	}
	var count *os.File
	if name := os.Getenv(FloodCountEnv); name != "" {
		var err error
		if count, err = os.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "flood:", err)
			return 1
		}
	}
	for i := 1; i <= n; i++ {
		if _, err := os.Stdout.WriteString(FloodLine(i) + "\n"); err != nil {
			fmt.Fprintln(os.Stderr, "flood: writing:", err)
			return 1
		}
		if count != nil {
			count.WriteAt([]byte(fmt.Sprintf("%20d", i)), 0)
		}
	}
	if os.Getenv(FloodExitEnv) == "" {
		io.Copy(io.Discard, os.Stdin)
	}
	return 0
}

// ReadFloodCount reads the count serveFlood keeps in name (0 if none yet).
func ReadFloodCount(name string) int {
	b, _ := os.ReadFile(name)
	n, _ := strconv.Atoi(string(trimSpace(b)))
	return n
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

// NotJSONLine is what the notjson mode writes before each answer.
const NotJSONLine = "Server listening on stdio { not JSON"

// serveNotJSON answers each request with NotJSONLine, then an empty
// result.
func serveNotJSON() int {
	return answerEach(func(w *bufio.Writer, id string) {
		w.WriteString(NotJSONLine + "\n")
		w.WriteString(`{"jsonrpc":"2.0","id":` + id + `,"result":{}}` + "\n")
	})
}

// HugeSize is the length of the huge mode's line (without its newline).
const HugeSize = 50 << 20

// WriteHugeLine writes the huge mode's answer to request id: a result of
// HugeSize bytes, the same bytes each time, without holding them.
func WriteHugeLine(w io.Writer, id string) {
	head := `{"jsonrpc":"2.0","id":` + id + `,"result":{"blob":"`
	tail := `"}}`
	io.WriteString(w, head)
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = 'A' + byte(i%26)
	}
	for left := HugeSize - len(head) - len(tail); left > 0; {
		n := min(left, len(chunk))
		w.Write(chunk[:n])
		left -= n
	}
	io.WriteString(w, tail)
}

// serveHuge answers each request with a HugeSize line (WriteHugeLine),
// then a notification.
func serveHuge() int {
	return answerEach(func(w *bufio.Writer, id string) {
		WriteHugeLine(w, id)
		w.WriteString("\n" + `{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"after"}}` + "\n")
	})
}

// serveExitMidCall answers initialize (so a go-sdk client connects),
// then exits with status 3 upon the next request, unanswered.
func serveExitMidCall() int {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		env := jsonrpc.Read(in.Text())
		if env.Kind != jsonrpc.Request {
			continue
		}
		if env.Method != "initialize" {
			fmt.Fprintln(os.Stderr, "exit-mid-call: exiting with", env.Method, "unanswered")
			time.Sleep(10 * time.Millisecond)
			return 3
		}
		fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"exit-mid-call","version":"v0"}}}`+"\n", env.ID)
	}
	return 0
}

// answerEach calls answer for each request read on stdin until it ends.
func answerEach(answer func(w *bufio.Writer, id string)) int {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		if env := jsonrpc.Read(in.Text()); env.Kind == jsonrpc.Request {
			answer(out, env.ID)
			if err := out.Flush(); err != nil {
				return 1
			}
		}
	}
	return 0
}
