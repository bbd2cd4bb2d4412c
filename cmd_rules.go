package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/internal/termtext"
	"github.com/mcpscope/mcpscope/record"
	"github.com/mcpscope/mcpscope/rules"
)

const rulesUsage = `mcpscope rules — check interceptor rules

Usage:
  mcpscope rules check FILE             validate a rules file (lists every error, with its line)
  mcpscope rules test FILE RECORDING    show which recorded messages each rule matches

RECORDING is a recording (--record) or the output of --headless.

Examples:
  mcpscope rules check examples/rules.yaml
  mcpscope -u http://127.0.0.1:3001/mcp --headless > traffic.jsonl
  mcpscope rules test examples/rules.yaml traffic.jsonl
`

func runRules(_ context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 2 && args[0] == "check":
		set, err := rules.Load(args[1])
		if err != nil {
			printRulesErrors(stderr, args[1], err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: %s, all valid\n", args[1], plural.Count(len(set.Rules), "rule"))
		return 0
	case len(args) == 3 && args[0] == "test":
		return testRules(args[1], args[2], stdout, stderr)
	case len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help"):
		fmt.Fprint(stdout, rulesUsage)
		return 0
	}
	fmt.Fprint(stderr, rulesUsage)
	return 2
}

// printRulesErrors prints each mistake rules.Load found on a line of its
// own ("FILE:LINE: message"), then how many there are when more than one.
func printRulesErrors(stderr io.Writer, file string, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		fmt.Fprintf(stderr, "mcpscope: %v\n", e)
	}
	if len(errs) > 1 {
		fmt.Fprintf(stderr, "mcpscope: %s: %s\n", file, plural.Count(len(errs), "error"))
	}
}

// testRules prints, for each recorded message a rule matches, the rules
// and the deciding action, then a count per rule.
func testRules(rulesFile, recording string, stdout, stderr io.Writer) int {
	set, err := rules.Load(rulesFile)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 1
	}
	counts := make(map[string]int)
	messages := 0
	table := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0) // columns as wide as their widest cell
	err = record.ReadFile(recording, func(o *record.Observation) error {
		if o.Kind == "" || o.Decision != nil && o.Type == "decision" {
			return nil
		}
		messages++
		s := o.RuleSubject()
		matched := set.Match(&s)
		if len(matched) == 0 {
			return nil
		}
		var names []string
		for _, r := range matched {
			names = append(names, r.Name)
			counts[r.Name]++
		}
		decider := matched[len(matched)-1]
		fmt.Fprintf(table, "#%d\t%s\t%s\t%s\t→ %s (%s)\n", o.Seq, o.Direction, termtext.Safe(o.Method), termtext.Safe(string(o.ID)),
			termtext.Safe(joinNames(names)), decider.Action) // a recording is the network's text
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 1
	}
	table.Flush()
	fmt.Fprintf(stdout, "\n%s in %s\n", plural.Count(messages, "message"), recording)
	for _, r := range set.Rules {
		fmt.Fprintf(table, "  %s\t%s\tmatched %d\n", termtext.Safe(r.Name), r.Action, counts[r.Name])
	}
	table.Flush()
	return 0
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
