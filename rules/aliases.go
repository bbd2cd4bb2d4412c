package rules

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// maxAliasNodes bounds how many nodes the aliases of a rules file may
// bring in, counting a node once for every alias that reaches it.
const maxAliasNodes = 100_000

// checkAliases walks the document as decoding it would expand it and fails
// at the alias whose expansion passes maxAliasNodes (an alias that contains
// itself does, whatever the bound). The walk keeps its own stack: a deep
// document costs memory in proportion, never the goroutine's stack.
func checkAliases(root *yaml.Node) error {
	type item struct {
		n    *yaml.Node
		from *yaml.Node // the outermost alias that led here, nil outside any
	}
	stack := []item{{root, nil}}
	expanded := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.from != nil {
			if expanded++; expanded > maxAliasNodes {
				return &lineError{it.from.Line, fmt.Sprintf("aliases expand to more than %d YAML nodes", maxAliasNodes)}
			}
		}
		if it.n.Kind == yaml.AliasNode {
			if it.n.Alias != nil {
				from := it.from
				if from == nil {
					from = it.n
				}
				stack = append(stack, item{it.n.Alias, from})
			}
			continue
		}
		for _, c := range it.n.Content {
			stack = append(stack, item{c, it.from})
		}
	}
	return nil
}
