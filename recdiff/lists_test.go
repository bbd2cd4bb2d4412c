package recdiff

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestToolsSameWhateverTheSpellingAndMeta(t *testing.T) {
	before := `{"tools":[{"name":"echo","description":"Return text.","inputSchema":{"type":"object","properties":{"text":{"type":"string","maxLength":10}}}},{"name":"log","inputSchema":{"type":"object"}}],"nextCursor":null}`
	after := `{ "_meta": {"x": 1}, "tools": [ {"inputSchema": {"properties": {"text": {"maxLength": 1e1, "type": "string"}}, "type": "object"}, "description": "Return text.", "name": "echo", "_meta": {"ui": "v2"}},
		{"name": "log", "inputSchema": {"type": "object", "_meta": {"deep": true}}} ] }`
	changes, err := Tools(json.RawMessage(before), json.RawMessage(after))
	if err != nil || changes != nil {
		t.Fatalf("Tools = %+v, %v; want no changes", changes, err)
	}
}

func TestToolsAddedRemovedChanged(t *testing.T) {
	before := `{"tools":[{"name":"echo","description":"Return text.","inputSchema":{"type":"object","properties":{"text":{"type":"string"}}}},{"name":"gone","inputSchema":{"type":"object"}}]}`
	after := `{"tools":[{"name":"echo","description":"Echo text.","inputSchema":{"type":"object","properties":{"text":{"type":"integer"},"n.b":{"type":"string"}}},"annotations":{"readOnlyHint":true}},{"name":"new","inputSchema":{"type":"object"}}]}`
	changes, err := Tools(json.RawMessage(before), json.RawMessage(after))
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Kind: Changed, List: ListTools, Name: "echo", Fields: []string{"annotations", "description", "inputSchema"}, Details: []Difference{
			{Path: "annotations", After: `{"readOnlyHint":true}`},
			{Path: "description", Before: `"Return text."`, After: `"Echo text."`},
			{Path: `inputSchema.properties.n\.b`, After: `{"type":"string"}`},
			{Path: "inputSchema.properties.text.type", Before: `"string"`, After: `"integer"`},
		}},
		{Kind: Removed, List: ListTools, Name: "gone"},
		{Kind: Added, List: ListTools, Name: "new"},
	}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("Tools =\n%+v\nwant\n%+v", changes, want)
	}
}

func TestToolsDuplicatesAndNamelessItems(t *testing.T) {
	before := `{"tools":[{"name":"a"},{"name":"a","description":"twin"},{"description":"no name"}]}`
	after := `{"tools":[{"name":"a"},{"name":"a","description":"twin changed"}]}`
	changes, err := Tools(json.RawMessage(before), json.RawMessage(after))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || changes[0].Name != "[2]" || changes[0].Kind != Removed || changes[1].Name != "a#2" || changes[1].Kind != Changed {
		t.Errorf("Tools = %+v; want [2] removed, a#2 changed", changes)
	}
}

func TestToolsErrorsNameTheSide(t *testing.T) {
	good := json.RawMessage(`{"tools":[]}`)
	many := `{"tools":[` + strings.Repeat(`{"name":"x"},`, MaxItems) + `{"name":"x"}]}`
	cases := []struct {
		before, after string
		want          string
	}{
		{`{"tools":`, string(good), "before: list result: unexpected EOF"},
		{string(good), `[]`, "after: tools list result is not an object"},
		{string(good), `{"tools":{}}`, `after: "tools" in the list result is not an array`},
		{string(good), `{"tools":[]} x`, "after: list result: data after the JSON value"},
		{many, string(good), "before: more than 10000 tools in one listing"},
	}
	for _, c := range cases {
		_, err := Tools(json.RawMessage(c.before), json.RawMessage(c.after))
		if err == nil || err.Error() != c.want {
			t.Errorf("Tools(%.40s, %.40s) error %v, want %q", c.before, c.after, err, c.want)
		}
	}
	if changes, err := Tools(good, json.RawMessage(`{}`)); err != nil || changes != nil {
		t.Errorf("an absent tools array is an empty one: %+v, %v", changes, err)
	}
}

func TestCompareListsKeysResourcesByURI(t *testing.T) {
	changes, err := CompareLists(ListResources,
		json.RawMessage(`{"resources":[{"uri":"demo://a","name":"same"}]}`),
		json.RawMessage(`{"resources":[{"uri":"demo://b","name":"same"}]}`))
	if err != nil || len(changes) != 2 || !reflect.DeepEqual(changes[0], Change{Kind: Removed, List: ListResources, Name: "demo://a"}) || changes[1].Name != "demo://b" {
		t.Errorf("CompareLists(resources) = %+v, %v", changes, err)
	}
}

func TestDescribe(t *testing.T) {
	before := `{"tools":[{"name":"echo"},{"name":"old"},{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"},{"name":"e"},{"name":"f"}]}`
	after := `{"tools":[{"name":"echo","description":"now"},{"name":"later"}]}`
	changes, err := Tools(json.RawMessage(before), json.RawMessage(after))
	if err != nil {
		t.Fatal(err)
	}
	want := "added later; changed echo (description); removed a, b, c, d, e, and 2 more"
	if got := Describe(changes); got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if Describe(nil) != "" {
		t.Errorf("Describe(nil) is not empty")
	}
}
