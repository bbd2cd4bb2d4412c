package recdiff

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// List names a kind of listing by its member in the list result.
type List string

const (
	ListTools             List = "tools"             // tools/list
	ListPrompts           List = "prompts"           // prompts/list
	ListResources         List = "resources"         // resources/list
	ListResourceTemplates List = "resourceTemplates" // resources/templates/list
)

// Lists are the listings compared, in the order reports show them.
var Lists = []List{ListTools, ListPrompts, ListResources, ListResourceTemplates}

// listMethods maps a list method to its listing.
var listMethods = map[string]List{
	"tools/list":               ListTools,
	"prompts/list":             ListPrompts,
	"resources/list":           ListResources,
	"resources/templates/list": ListResourceTemplates,
}

// itemKey is the member that names an item of each listing.
func (l List) itemKey() string {
	switch l {
	case ListResources:
		return "uri"
	case ListResourceTemplates:
		return "uriTemplate"
	}
	return "name"
}

const (
	// MaxItems bounds the items of one listing (all its pages together).
	MaxItems = 10000
	// MaxListingBytes bounds the canonical bytes of one listing.
	MaxListingBytes = 16 << 20
	// maxName bounds an item's name as a Change gives it.
	maxName = 1024
)

// ChangeKind says how an item of a listing changed.
type ChangeKind string

const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	Changed ChangeKind = "changed"
)

// Change is an item that differs between two listings of one kind.
type Change struct {
	Kind ChangeKind `json:"kind"`
	List List       `json:"list"`
	// Name is the item's key: a tool's or a prompt's name, a resource's
	// uri, a template's uriTemplate (an item without one is "[i]", its
	// index; a second item of the same name is "name#2"), cut to 1 KiB.
	// It is peer text: make it terminal-safe before showing it.
	Name string `json:"name"`
	// Fields are, for a changed item, its members that differ (sorted):
	// description, inputSchema, outputSchema, annotations, title...
	Fields []string `json:"fields,omitempty"`
	// Details say where a changed item differs (the first MaxDetails),
	// with paths from the item: inputSchema.properties.count.type.
	Details []Difference `json:"details,omitempty"`
}

// Tools compares two tools/list results (the JSON-RPC "result" objects,
// each the whole listing: merge the pages of a paginated listing first)
// and returns the tools added, removed and changed from before to after,
// sorted by name. "_meta" members are ignored at every depth; so are key
// order, whitespace and the spelling of numbers. A tool is changed when
// anything else in it differs: description, title, inputSchema,
// outputSchema, annotations. A result that is not an object with a
// "tools" array (absent is empty), or a listing of more than MaxItems
// tools (or MaxListingBytes), is an error naming the side. Nil changes mean the same tools.
//
// It is the comparison behind a live "tool list changed mid-session"
// finding: call it with a session's previous tools/list result and its
// new one.
func Tools(before, after json.RawMessage) ([]Change, error) {
	return CompareLists(ListTools, before, after)
}

// CompareLists is Tools for any listing: prompts (by name), resources (by
// uri), resource templates (by uriTemplate).
func CompareLists(l List, before, after json.RawMessage) ([]Change, error) {
	var c cleaner
	a, err := parseListing(l, before, &c)
	if err != nil {
		return nil, fmt.Errorf("before: %w", err)
	}
	b, err := parseListing(l, after, &c)
	if err != nil {
		return nil, fmt.Errorf("after: %w", err)
	}
	return compareListings(l, a, b), nil
}

// listing is a listing's items, by key, as canonical JSON.
type listing struct {
	items  map[string]string
	size   int    // bytes of the keys and items
	digest string // set once kept by a Summary (intern)
}

// parseListing reads the items of a list result.
func parseListing(l List, result json.RawMessage, c *cleaner) (*listing, error) {
	ls := &listing{items: map[string]string{}}
	_, err := ls.addPage(l, result, c)
	return ls, err
}

// addPage adds the items of one page (a list result) to ls; next is
// whether the page names a next one (a nextCursor other than null or "").
func (ls *listing) addPage(l List, result json.RawMessage, c *cleaner) (next bool, err error) {
	v, err := decode(result)
	if err != nil {
		return false, fmt.Errorf("list result: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false, fmt.Errorf("%s list result is not an object", l)
	}
	if cur, ok := obj["nextCursor"]; ok && cur != nil && cur != "" {
		next = true
	}
	raw, ok := obj[string(l)]
	if !ok || raw == nil {
		return next, nil
	}
	items, ok := raw.([]any)
	if !ok {
		return false, fmt.Errorf("%q in the list result is not an array", l)
	}
	if len(ls.items)+len(items) > MaxItems {
		return false, fmt.Errorf("more than %d %s in one listing", MaxItems, l)
	}
	for i, it := range items {
		key := "[" + strconv.Itoa(len(ls.items)) + "]"
		if m, ok := it.(map[string]any); ok {
			if s, ok := m[l.itemKey()].(string); ok {
				key = s
			}
		}
		for base, n := key, 2; ls.items[key] != ""; n++ {
			key = base + "#" + strconv.Itoa(n)
		}
		at, drop := c.itemCursors(l, i)
		if drop {
			continue
		}
		item := encode(c.clean(it, at))
		if ls.size += len(key) + len(item); ls.size > MaxListingBytes {
			return false, fmt.Errorf("a listing of %s larger than %d MiB", l, MaxListingBytes>>20)
		}
		ls.items[key] = item
	}
	return next, nil
}

// itemCursors are the ignore cursors at item i of a list result's
// message (result.<list>.<i>); drop is true when a path ignores it whole.
func (c *cleaner) itemCursors(l List, i int) (at []cursor, drop bool) {
	at = c.roots()
	for _, step := range []struct {
		name  string
		index bool
	}{{"result", false}, {string(l), false}, {strconv.Itoa(i), true}} {
		if at, drop = c.advance(at, step.name, step.index); drop {
			return nil, true
		}
	}
	return at, false
}

// compareListings returns the changes from a to b, sorted by name.
func compareListings(l List, a, b *listing) []Change {
	var out []Change
	for k, x := range a.items {
		y, ok := b.items[k]
		switch {
		case !ok:
			out = append(out, Change{Kind: Removed, List: l, Name: cut(k, maxName)})
		case x != y:
			out = append(out, changedItem(l, k, x, y))
		}
	}
	for k := range b.items {
		if _, ok := a.items[k]; !ok {
			out = append(out, Change{Kind: Added, List: l, Name: cut(k, maxName)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// changedItem describes an item whose canonical texts x and y differ.
func changedItem(l List, name, x, y string) Change {
	c := Change{Kind: Changed, List: l, Name: cut(name, maxName)}
	a, b := decodeCanonical(x), decodeCanonical(y)
	am, _ := a.(map[string]any)
	bm, _ := b.(map[string]any)
	for _, k := range unionKeys(am, bm) {
		if encode(am[k]) != encode(bm[k]) {
			c.Fields = append(c.Fields, k)
		}
	}
	c.Details = differences("", a, b)
	return c
}

// Describe says in one line what changes hold, for a finding's message or
// a log: "added later; changed echo (description, inputSchema); removed
// old". At most five names per kind are given (then "and N more"), each
// cut to 64 bytes; names are peer text, to be made terminal-safe before
// they are shown. No changes is "".
func Describe(changes []Change) string {
	var parts []string
	for _, kind := range []ChangeKind{Added, Changed, Removed} {
		var names []string
		n := 0
		for _, c := range changes {
			if c.Kind != kind {
				continue
			}
			n++
			if len(names) == 5 {
				continue
			}
			name := cut(c.Name, 64)
			if kind == Changed && len(c.Fields) > 0 {
				name += " (" + cut(strings.Join(c.Fields, ", "), 64) + ")"
			}
			names = append(names, name)
		}
		if n == 0 {
			continue
		}
		if n > len(names) {
			names = append(names, fmt.Sprintf("and %d more", n-len(names)))
		}
		parts = append(parts, string(kind)+" "+strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}
