// Command mcpscope is an interactive debugging proxy for MCP (Model Context
// Protocol): point an MCP client at it instead of the server and watch every
// message and Server-Sent Event go by.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches the subcommands and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "version":
			fmt.Fprintln(stdout, "mcpscope", version)
			return 0
		case "demo":
			return runDemo(args[1:], stdout, stderr)
		case "help":
			return runProxy([]string{"--help"}, stdout, stderr)
		}
	}
	return runProxy(args, stdout, stderr)
}
