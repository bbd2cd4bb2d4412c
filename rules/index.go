package rules

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mcpscope/mcpscope/filter"
)

// index remembers, per facts (filter.Facts: direction, kind, method), the
// rules that may match a message with them, so that Match tries only those
// and MayMatch is one map lookup. A message's facts are few in practice
// (MCP has a few dozen methods), so the index stays small; past
// maxIndexed facts it stops growing and the rest are worked out each time.
// A Set's rules do not change once parsed, so neither does an entry.
type index struct {
	mu      sync.Mutex                               // serialises writers
	entries atomic.Pointer[map[filter.Facts][]*Rule] // read without a lock; replaced whole on a write
}

const maxIndexed = 512

// candidates returns the rules of set that may match a message with facts
// k, in order (nil when none may).
func (set *Set) candidates(k filter.Facts) []*Rule {
	if m := set.index.entries.Load(); m != nil {
		if rs, ok := (*m)[k]; ok {
			return rs
		}
	}
	var rs []*Rule
	for _, r := range set.Rules {
		if r.Match.MayMatch(k) {
			rs = append(rs, r)
		}
	}
	set.index.add(k, rs)
	return rs
}

// add remembers rs for k unless the index is full. k's strings may share
// a read buffer's bytes: the index keeps copies.
func (ix *index) add(k filter.Facts, rs []*Rule) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old := ix.entries.Load()
	n := 0
	if old != nil {
		n = len(*old)
	}
	if n >= maxIndexed {
		return
	}
	m := make(map[filter.Facts][]*Rule, n+1)
	if old != nil {
		for key, v := range *old {
			m[key] = v
		}
	}
	k.Direction, k.Kind, k.Method, k.Tool = strings.Clone(k.Direction), strings.Clone(k.Kind), strings.Clone(k.Method), strings.Clone(k.Tool)
	m[k] = rs
	ix.entries.Store(&m)
}

// MayMatch reports whether some rule of set may match a message with
// facts k: false only when Match would return nil for every such message.
// A nil Set matches nothing.
func (set *Set) MayMatch(k filter.Facts) bool {
	return set != nil && len(set.candidates(k)) > 0
}
