package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

const completionUsage = `mcpscope completion — shell completion for mcpscope

Usage:
  mcpscope completion bash|zsh|fish

Prints a script that completes mcpscope's commands and flags (each
command's own, from the same flag sets --help lists) and file names.

Examples:
  # bash: now, and in every new shell
  source <(mcpscope completion bash)
  mcpscope completion bash > ~/.local/share/bash-completion/completions/mcpscope

  # zsh: a file named _mcpscope on $fpath (compinit loads it)
  mcpscope completion zsh > "${fpath[1]}/_mcpscope"

  # fish
  mcpscope completion fish > ~/.config/fish/completions/mcpscope.fish
`

// subcommands are what the first word can be, with what completion
// menus say of them.
var subcommands = []struct{ name, summary string }{
	{"demo", "run against an embedded MCP server and client"},
	{"wrap", "what a client launches instead of its stdio server"},
	{"hub", "the UI for wrapped stdio servers only"},
	{"replay", "serve a recording as an MCP server"},
	{"open", "browse a recording in the UI"},
	{"export", "export a recording: HAR, Markdown, JSON Lines"},
	{"check", "check a recording against the MCP spec"},
	{"stats", "latency per method and tool of a recording"},
	{"diff", "compare two recordings"},
	{"rules", "check or test interceptor rules"},
	{"completion", "print a shell completion script"},
	{"version", "print the version"},
	{"help", "show the help"},
}

// completionFlag is one flag as a completion script offers it.
type completionFlag struct {
	long, short, usage string
	takesValue         bool
	choices            []string // a value that is one of these (from a Type like "auto|dark|light")
}

// completionCommands returns each command's flags by commandName, sorted
// by name, plus --config and --help, which every command has.
func completionCommands() map[string][]completionFlag {
	out := map[string][]completionFlag{}
	for _, fs := range commandFlagSets() {
		var flags []completionFlag
		fs.VisitAll(func(f *pflag.Flag) { flags = append(flags, newCompletionFlag(f)) })
		flags = append(flags,
			completionFlag{long: configFlag, usage: "read settings from this file", takesValue: true},
			completionFlag{long: "help", short: "h", usage: "show the help"})
		sort.Slice(flags, func(i, j int) bool { return flags[i].long < flags[j].long })
		out[commandName(fs)] = flags
	}
	return out
}

func newCompletionFlag(f *pflag.Flag) completionFlag {
	usage, _, _ := strings.Cut(f.Usage, "; ")
	usage, _, _ = strings.Cut(usage, " (")
	c := completionFlag{long: f.Name, short: f.Shorthand, usage: usage, takesValue: f.NoOptDefVal == ""}
	if t := f.Value.Type(); strings.Contains(t, "|") {
		c.choices = strings.Split(t, "|")
	}
	return c
}

// runCompletion prints the completion script of the shell named in args.
func runCompletion(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
		fmt.Fprint(stdout, completionUsage)
		return 0
	}
	write := map[string]func(io.Writer, map[string][]completionFlag){"bash": writeBashCompletion, "zsh": writeZshCompletion, "fish": writeFishCompletion}
	if len(args) != 1 || write[args[0]] == nil {
		fmt.Fprintf(stderr, "mcpscope completion: want one shell: bash, zsh or fish\nRun 'mcpscope completion --help' for usage.\n")
		return 2
	}
	write[args[0]](stdout, completionCommands())
	return 0
}

// completionOrder lists the commands of cmds in a stable order: proxy
// first, then the rest by name.
func completionOrder(cmds map[string][]completionFlag) []string {
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		if name != "proxy" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return append([]string{"proxy"}, names...)
}

// shellQuote single-quotes s for bash and zsh; a single quote inside
// closes the quotes, is escaped with a backslash, and reopens them (fish
// has its own rules: quoteFish).
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
