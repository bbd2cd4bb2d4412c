package jsonrpc

import "testing"

func TestReadEnvelope(t *testing.T) {
	cases := []struct {
		text               string
		kind               Kind
		method, id, params string
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`, Request, "tools/call", "1", `{"name":"x"}`},
		{`{"jsonrpc":"2.0","id":"a-1","method":"ping"}`, Request, "ping", `"a-1"`, ""},
		{` { "method" : "notifications/progress" , "params" : [1, 2.5e3, true, null, "\"]"] } `, Notification, "notifications/progress", "", `[1, 2.5e3, true, null, "\"]"]`},
		{`{"jsonrpc":"2.0","id":null,"method":"odd"}`, Notification, "odd", "null", ""},
		{`{"jsonrpc":"2.0","id":3,"result":{}}`, Result, "", "3", ""},
		{`{"jsonrpc":"2.0","id":3.0,"error":{"code":-1,"message":"m"}}`, Error, "", "3.0", ""},
		{`{"jsonrpc":"2.0","method":"a\/b\u0063"}`, Notification, "a/bc", "", ""},
		{`{"method":"m","params":{"s":"q\"uote\\","t":"\\\""}}`, Notification, "m", "", `{"s":"q\"uote\\","t":"\\\""}`},
		{`{"method":"m","params":"ends in a backslash\\"}`, Notification, "m", "", `"ends in a backslash\\"`},
		{`{"method":"m","params":"unterminated\"}`, Invalid, "", "", ""},
		{`{"jsonrpc":"2.0","id":1,"method":"x"`, Invalid, "", "1", ""},
		{`[1,2]`, Invalid, "", "", ""},
		{`{"jsonrpc":"2.0","id":1}`, Invalid, "", "1", ""},
		{`not json`, Invalid, "", "", ""},
		{`{"jsonrpc":"2.0","method":"x"} trailing`, Invalid, "", "", ""},
		{``, Invalid, "", "", ""},
	}
	for _, c := range cases {
		e := Read(c.text)
		if e.Kind != c.kind || e.Method != c.method || e.ID != c.id || e.Params != c.params {
			t.Errorf("Read(%s) = kind %s method %q id %q params %q; want %s %q %q %q",
				c.text, e.Kind, e.Method, e.ID, e.Params, c.kind, c.method, c.id, c.params)
		}
	}
}

func TestSplitMessages(t *testing.T) {
	cases := []struct {
		text  string
		msgs  []string
		batch int
		ok    bool
	}{
		{`{"a":1}`, []string{`{"a":1}`}, 0, true},
		{` [ {"id":1} , {"id":"2"} ] `, []string{`{"id":1}`, `{"id":"2"}`}, 2, true},
		{`[]`, []string{`[]`}, 0, false},
		{`[{"id":1},`, []string{`[{"id":1},`}, 0, false},
		// Not arrays: returned whole; Read judges them.
		{`{"a":1} trailing`, []string{`{"a":1} trailing`}, 0, true},
		{``, []string{``}, 0, true},
	}
	for _, c := range cases {
		msgs, batch, ok := Split(c.text)
		if len(msgs) != len(c.msgs) || batch != c.batch || ok != c.ok {
			t.Errorf("Split(%q) = %q, %d, %v; want %q, %d, %v", c.text, msgs, batch, ok, c.msgs, c.batch, c.ok)
			continue
		}
		for i := range msgs {
			if msgs[i] != c.msgs[i] {
				t.Errorf("Split(%q)[%d] = %q, want %q", c.text, i, msgs[i], c.msgs[i])
			}
		}
	}
}

// TestDeepNesting checks that a hostile, deeply nested message is flagged,
// not a stack overflow.
func TestDeepNesting(t *testing.T) {
	deep := make([]byte, 0, 2_000_002)
	for range 1_000_000 {
		deep = append(deep, '[')
	}
	for range 1_000_000 {
		deep = append(deep, ']')
	}
	if _, _, ok := Split(string(deep)); ok {
		t.Error("a million nested arrays accepted")
	}
}

func FuzzEnvelope(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`)
	f.Add(`[{"id":1,"result":{}},{"method":"n"}]`)
	f.Add(`{"method":"\u00e9\\"}`)
	f.Fuzz(func(t *testing.T, text string) {
		msgs, _, _ := Split(text)
		for _, m := range msgs {
			e := Read(m)
			if e.Kind == "" {
				t.Fatalf("no kind for %q", m)
			}
		}
	})
}

// TestReadEnvelopePrefix checks what the first bytes of an oversized answer
// show: the members that end within them, and the kind of a result or error
// whose value runs past them (of a batch: its first message's); invalid
// when they show no kind (it was once left empty, which exports showed as
// an SSE event).
func TestReadEnvelopePrefix(t *testing.T) {
	cases := []struct {
		text       string
		kind       Kind
		method, id string
	}{
		{`{"jsonrpc":"2.0","id":7,"result":{"content":[{"text":"xxx`, Result, "", "7"},
		{` { "id" : "a" , "error" : {"code":-1,"mess`, Error, "", `"a"`},
		{`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"xx`, Notification, "notifications/message", ""},
		{`{"jsonrpc":"2.0","id":3,"method":"sampling/createMessage","params":{"x`, Request, "sampling/createMessage", "3"},
		{`{"jsonrpc":"2.0","id":12`, Invalid, "", ""},
		{`[{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc"`, Result, "", "1"},
		{` [ {"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc"`, Request, "ping", "2"},
		{`"xxxxxxxx`, Invalid, "", ""},
		{`[1,2,3`, Invalid, "", ""},
		{``, Invalid, "", ""},
		{`{"jsonrpc":"2.0","id":9,"result":{"a":1}}`, Result, "", "9"},
	}
	for _, c := range cases {
		e := ReadPrefix(c.text)
		if e.Kind != c.kind || e.Method != c.method || e.ID != c.id {
			t.Errorf("%s: got kind %q method %q id %q, want %q %q %q", c.text, e.Kind, e.Method, e.ID, c.kind, c.method, c.id)
		}
	}
}
