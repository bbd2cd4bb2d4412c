// Command mcpscope is an interactive debugging proxy for MCP (Model Context
// Protocol): point an MCP client at it instead of the server and watch every
// message and Server-Sent Event go by.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	status := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

// run dispatches the subcommands and returns the exit status. Long-running
// commands stop when ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "version", "--version", "-V":
			fmt.Fprintln(stdout, "mcpscope", version)
			return 0
		case "completion":
			return runCompletion(args[1:], stdout, stderr)
		case "open":
			return runOpen(ctx, args[1:], stdout, stderr)
		case "replay":
			return runReplay(ctx, args[1:], stdout, stderr)
		case "rules":
			return runRules(ctx, args[1:], stdout, stderr)
		case "demo":
			return runDemo(ctx, args[1:], stdout, stderr)
		case "export":
			return runExport(ctx, args[1:], stdout, stderr)
		case "check":
			return runCheck(ctx, args[1:], stdout, stderr)
		case "stats":
			return runStats(ctx, args[1:], stdout, stderr)
		case "diff":
			return runDiff(ctx, args[1:], stdout, stderr)
		case "wrap":
			return runWrap(ctx, args[1:], os.Stdin, stdout, stderr)
		case "hub":
			return runHub(ctx, args[1:], stdout, stderr)
		case "help":
			return runProxy(ctx, []string{"--help"}, stdout, stderr)
		}
	}
	return runProxy(ctx, args, stdout, stderr)
}
