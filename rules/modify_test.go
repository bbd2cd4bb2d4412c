package rules

import (
	"strings"
	"testing"
)

// modifyRule parses one modify rule from YAML fields.
func modifyRule(t *testing.T, fields string) *Rule {
	t.Helper()
	set, err := Parse([]byte("- name: m\n  match: method:x\n  action: modify\n"+fields), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return set.Rules[0]
}

// TestModifyPreservesBytes: only the addressed values change; ids and big
// integers elsewhere, key order and whitespace keep their bytes, and big
// integers in the rule survive.
func TestModifyPreservesBytes(t *testing.T) {
	msg := "{\"params\": {\"z\": 12345678901234567890, \"arguments\": {\"b\": 1.50, \"a\": \"x\"}, \"name\": \"old\"},\n \"id\": 9007199254740993, \"method\": \"tools/call\", \"jsonrpc\": \"2.0\"}"
	cases := []struct{ fields, want string }{
		{"  set: {params.name: new}\n", strings.Replace(msg, `"old"`, `"new"`, 1)},
		{"  set: {params.arguments.a: 9007199254740993}\n", strings.Replace(msg, `"a": "x"`, `"a": 9007199254740993`, 1)},
		{"  set: {params.arguments.c: {q: [1, 2]}}\n", strings.Replace(msg, `"a": "x"}`, `"a": "x","c":{"q":[1,2]}}`, 1)},
		{"  delete: [params.arguments.b]\n", strings.Replace(msg, `"b": 1.50,`, ``, 1)}, // the space after the member stays
		{"  set: {params.new.0.deep: 12345678901234567890123}\n", strings.Replace(msg, `"name": "old"}`, `"name": "old","new":{"0":{"deep":12345678901234567890123}}}`, 1)},
		{"  delete: [params.missing.x, params.arguments.zz]\n", msg},
	}
	for _, c := range cases {
		got, err := modifyRule(t, c.fields).Modify(msg)
		if err != nil {
			t.Errorf("%s: %v", c.fields, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.fields, got, c.want)
		}
	}
}

// TestModifyPaths: numeric keys index existing arrays only, a null on the
// way becomes an object, a scalar on the way is an error, `\.` is a dot in
// a key, and keys with gjson/sjson metacharacters are taken literally.
func TestModifyPaths(t *testing.T) {
	cases := []struct{ msg, fields, want, err string }{
		{`{"a":[1,{"b":2}]}`, "  set: {a.1.b: 3}\n", `{"a":[1,{"b":3}]}`, ""},
		{`{"a":[1,null]}`, "  set: {a.1.b: 3}\n", `{"a":[1,{"b":3}]}`, ""},
		{`{"a":null}`, "  set: {a.b: 3}\n", `{"a":{"b":3}}`, ""},
		{`{"a":[1]}`, "  set: {a.5: 3}\n", "", `rule "m": set a.5: "5" is not an index of an array of 1`},
		{`{"a":[1]}`, "  set: {a.x: 3}\n", "", `"x" is not an index of an array of 1`},
		{`{"a":5}`, "  set: {a.b: 3}\n", "", `"b" is inside a float64, not an object`},
		{`{"a":"s"}`, "  set: {a.b.c: 3}\n", "", `"b" is inside a string, not an object`},
		{`{"a":{}}`, "  set: {a.0: 3}\n", `{"a":{"0":3}}`, ""},
		{`{"a":[1,2]}`, "  delete: [a.0]\n", `{"a":[1,2]}`, ""},
		{`{"p":{"_meta":{"io.modelcontextprotocol/protocolVersion":"x","k":1}}}`, "  set: {'p._meta.io\\.modelcontextprotocol/protocolVersion': y}\n",
			`{"p":{"_meta":{"io.modelcontextprotocol/protocolVersion":"y","k":1}}}`, ""},
		{`{"p":{"a.b":1,"a":{"b":2}}}`, "  delete: ['p.a\\.b']\n", `{"p":{"a":{"b":2}}}`, ""},
		{`{"k":{"*?|#@!:x":1,"x":2}}`, "  set: {'k.*?|#@!:x': 5}\n", `{"k":{"*?|#@!:x":5,"x":2}}`, ""},
		{`{"k":{"x":2}}`, "  set: {'k.#': 5, 'k.:y': 6, 'k.a\\\\b': 7}\n", `{"k":{"x":2,"#":5,":y":6,"a\\b":7}}`, ""},
		{`{"k":1`, "  set: {k: 2}\n", "", `rule "m": the message is not JSON`},
	}
	for _, c := range cases {
		got, err := modifyRule(t, c.fields).Modify(c.msg)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s on %s: %q, %v; want error %q", c.fields, c.msg, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s on %s:\n got %s, %v\nwant %s", c.fields, c.msg, got, err, c.want)
		}
	}
}

func TestSplitPathEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`a.b`: "a|b", `a\.b.c`: "a.b|c", `a\\.b`: `a\|b`, `a\b`: `a\b`, `a.`: "a|",
	} {
		if got := strings.Join(splitPath(in), "|"); got != want {
			t.Errorf("splitPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRuleValuesKeepBigIntegers: numbers in a rules file keep their literal
// in mock results and injected notifications too.
func TestRuleValuesKeepBigIntegers(t *testing.T) {
	set, err := Parse([]byte(`
- name: mock
  match: method:x
  action: mock
  result: {n: 12345678901234567890, f: 1.5e3}
- name: inject
  match: method:y
  action: inject
  notification: {method: n, params: {n: 9007199254740993}}
`), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Rules[0].MockAnswer("1"); got != `{"jsonrpc":"2.0","id":1,"result":{"f":1.5e3,"n":12345678901234567890}}` {
		t.Errorf("MockAnswer = %s", got)
	}
	if got := set.Rules[1].InjectedMessage(); got != `{"jsonrpc":"2.0","method":"n","params":{"n":9007199254740993}}` {
		t.Errorf("InjectedMessage = %s", got)
	}
}
