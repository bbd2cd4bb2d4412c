package stats

import (
	"strings"
	"unicode/utf8"
)

// The method whose rows are split per tool, and the separator of its keys.
const (
	ToolsCall = "tools/call"
	toolSep   = ":"
)

// Bounds on what peers can make the table hold.
const (
	// MaxKeys is the number of distinct rows (methods and tools) kept;
	// later ones fold into OtherKey or ToolsCall+":"+OtherKey.
	MaxKeys = 256
	// MaxNameBytes is the longest method or tool name kept; longer ones
	// are cut at a character boundary and end in "…".
	MaxNameBytes = 96
)

// OtherKey names the row where methods (or, after "tools/call:", tools)
// past MaxKeys are counted.
const OtherKey = "(other)"

// Key is the key of a method's row (tool empty) or of a tool's row.
func Key(method, tool string) string {
	if tool == "" {
		return method
	}
	return method + toolSep + tool
}

// ParseKey splits a key into method and tool: "tools/call:search" is
// ("tools/call", "search"); any other key is a method. Only tools/call
// has tool rows, so a method that contains ":" is read as a method.
func ParseKey(key string) (method, tool string) {
	if rest, ok := strings.CutPrefix(key, ToolsCall+toolSep); ok {
		return ToolsCall, rest
	}
	return key, ""
}

// clip bounds a peer-chosen name to MaxNameBytes.
func clip(name string) string {
	if len(name) <= MaxNameBytes {
		return name
	}
	cut := MaxNameBytes - len("…")
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "…"
}
