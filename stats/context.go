package stats

import (
	"sort"
	"strings"

	"github.com/tidwall/gjson"
)

// TokenHeuristic says how token counts are estimated: no tokenizer is
// run (each model has its own), so a count is an estimate for sizing,
// not a bill.
const TokenHeuristic = "tokens ≈ bytes/4 (an estimate: no tokenizer is run)"

// Tokens estimates the tokens of n bytes of JSON text (see TokenHeuristic).
func Tokens(n int64) int64 { return (n + 3) / 4 }

// ToolCost is what one tool costs a client's context: its definition,
// which a client that lists tools puts before the model, and the results
// of its calls.
type ToolCost struct {
	Name              string `json:"name"`
	DefinitionBytes   int    `json:"definition_bytes"`    // the tool's object in the last tools/list result naming it
	DescriptionBytes  int    `json:"description_bytes"`   // its description (the text, unescaped)
	InputSchemaBytes  int    `json:"input_schema_bytes"`  // inputSchema, as JSON text
	OutputSchemaBytes int    `json:"output_schema_bytes"` // outputSchema, as JSON text
	Results           int64  `json:"results"`             // tools/call results seen
	ResultBytes       int64  `json:"result_bytes"`        // their bytes (the whole JSON-RPC message)
	MaxResultBytes    int64  `json:"max_result_bytes"`
}

// ContextCost is the context cost section of a snapshot.
type ContextCost struct {
	Estimate        string     `json:"token_estimate"`   // TokenHeuristic
	Lists           int64      `json:"tools_list"`       // tools/list results seen
	LastListBytes   int64      `json:"last_list_bytes"`  // bytes of the last one
	DefinitionBytes int64      `json:"definition_bytes"` // the definitions of all tools known
	ResultBytes     int64      `json:"result_bytes"`     // bytes of all tools/call results of known tools
	Tools           []ToolCost `json:"tools"`            // largest definition first
}

// contextCost gathers ContextCost: tools by name, at most MaxKeys (later
// ones fold into OtherKey).
type contextCost struct {
	lists    int64
	lastList int64
	tools    map[string]*ToolCost
}

func (c *contextCost) tool(name string) *ToolCost {
	if c.tools == nil {
		c.tools = make(map[string]*ToolCost)
	}
	name = clip(name)
	if tc, ok := c.tools[name]; ok {
		return tc
	}
	if len(c.tools) >= MaxKeys {
		name = OtherKey
		if tc, ok := c.tools[name]; ok {
			return tc
		}
	}
	name = strings.Clone(name) // it may lie in a large message's bytes
	tc := &ToolCost{Name: name}
	c.tools[name] = tc
	return tc
}

// learn reads a tools/list result message: each tool's definition sizes.
func (c *contextCost) learn(body string) {
	c.lists++
	c.lastList = int64(len(body))
	gjson.Get(body, "result.tools").ForEach(func(_, t gjson.Result) bool {
		name := t.Get("name").String()
		if name == "" {
			return true
		}
		tc := c.tool(name)
		if tc.Name == OtherKey { // folded: sizes add up
			tc.DefinitionBytes += len(t.Raw)
			tc.DescriptionBytes += len(t.Get("description").String())
			tc.InputSchemaBytes += len(t.Get("inputSchema").Raw)
			tc.OutputSchemaBytes += len(t.Get("outputSchema").Raw)
			return true
		}
		tc.DefinitionBytes = len(t.Raw)
		tc.DescriptionBytes = len(t.Get("description").String())
		tc.InputSchemaBytes = len(t.Get("inputSchema").Raw)
		tc.OutputSchemaBytes = len(t.Get("outputSchema").Raw)
		return true
	})
}

// result counts a tools/call result of n bytes.
func (c *contextCost) result(tool string, n int64) {
	tc := c.tool(tool)
	tc.Results++
	tc.ResultBytes += n
	tc.MaxResultBytes = max(tc.MaxResultBytes, n)
}

func (c *contextCost) snapshot() ContextCost {
	cc := ContextCost{Estimate: TokenHeuristic, Lists: c.lists, LastListBytes: c.lastList, Tools: []ToolCost{}}
	for _, tc := range c.tools {
		cc.Tools = append(cc.Tools, *tc)
		cc.DefinitionBytes += int64(tc.DefinitionBytes)
		cc.ResultBytes += tc.ResultBytes
	}
	sort.Slice(cc.Tools, func(i, j int) bool {
		a, b := cc.Tools[i], cc.Tools[j]
		if a.DefinitionBytes != b.DefinitionBytes {
			return a.DefinitionBytes > b.DefinitionBytes
		}
		if a.ResultBytes != b.ResultBytes {
			return a.ResultBytes > b.ResultBytes
		}
		return a.Name < b.Name
	})
	return cc
}
