package checks

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/recdiff"
)

// Bounds of the tools/list results kept to compare the next one with.
const (
	maxToolList      = 256 << 10 // a larger result is not kept: its session's drift is not checked
	maxToolListTotal = 16 << 20  // all sessions together; past it an arbitrary session's is forgotten
)

// toolList compares a full tools/list result with the session's previous
// one (recdiff.Tools: names, descriptions, schemas, annotations; _meta,
// key order and number spelling ignored) and reports a change.
func (c *Checker) toolList(o *proxy.Observation, s *session, rev string, report func(*proxy.Observation)) {
	result := gjson.Get(o.Body, "result")
	if !result.IsObject() || result.Get("nextCursor").Exists() {
		return // not a whole listing
	}
	before := s.toolList
	c.keepToolList(s, result.Raw)
	if before == "" || before == result.Raw {
		return
	}
	changes, err := recdiff.Tools(json.RawMessage(before), json.RawMessage(result.Raw))
	if err != nil || len(changes) == 0 {
		return
	}
	c.report(contextOf(o, rev), RuleToolListChanged, "the tool list changed mid-session: "+recdiff.Describe(changes), report)
}

// keepToolList keeps raw as s's last listing, within the bounds.
func (c *Checker) keepToolList(s *session, raw string) {
	c.toolListBytes -= len(s.toolList)
	s.toolList = ""
	if len(raw) > maxToolList {
		return
	}
	for c.toolListBytes+len(raw) > maxToolListTotal {
		for _, other := range c.sessions {
			if other.toolList != "" {
				c.toolListBytes -= len(other.toolList)
				other.toolList = ""
				break
			}
		}
	}
	s.toolList = strings.Clone(raw)
	c.toolListBytes += len(raw)
}
