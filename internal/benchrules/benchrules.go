// Package benchrules holds the rules the benchmarks judge messages
// against, so the rules and proxy benchmarks measure the same set.
package benchrules

import (
	"fmt"
	"strings"
)

// NoneMatching returns n rules as YAML (a realistic mix: tool names,
// methods and resources, directions, a JSON path, kinds and statuses),
// none of which matches a server→client notifications/progress event.
func NoneMatching(n int) string {
	var y strings.Builder
	for i := range n {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&y, "- name: r%d\n  match: tool:tool_%d*\n  action: delay\n  delay: 1s\n", i, i)
		case 1:
			fmt.Fprintf(&y, "- name: r%d\n  match: method:resources/read resource:file:///%d/*\n  action: drop\n", i, i)
		case 2:
			fmt.Fprintf(&y, "- name: r%d\n  match: dir:client method:tools/call params.arguments.n>%d\n  action: drop\n", i, i)
		case 3:
			fmt.Fprintf(&y, "- name: r%d\n  match: kind:error and status>=500 and session:s-%d\n  action: continue\n", i, i)
		case 4:
			fmt.Fprintf(&y, "- name: r%d\n  match: method:notifications/message params.level:debug%d\n  action: drop\n", i, i)
		}
	}
	return y.String()
}
