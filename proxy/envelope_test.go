package proxy

import "testing"

func TestReadEnvelope(t *testing.T) {
	cases := []struct {
		text               string
		kind               MessageKind
		method, id, params string
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`, KindRequest, "tools/call", "1", `{"name":"x"}`},
		{`{"jsonrpc":"2.0","id":"a-1","method":"ping"}`, KindRequest, "ping", `"a-1"`, ""},
		{` { "method" : "notifications/progress" , "params" : [1, 2.5e3, true, null, "\"]"] } `, KindNotification, "notifications/progress", "", `[1, 2.5e3, true, null, "\"]"]`},
		{`{"jsonrpc":"2.0","id":null,"method":"odd"}`, KindNotification, "odd", "null", ""},
		{`{"jsonrpc":"2.0","id":3,"result":{}}`, KindResult, "", "3", ""},
		{`{"jsonrpc":"2.0","id":3.0,"error":{"code":-1,"message":"m"}}`, KindError, "", "3.0", ""},
		{`{"jsonrpc":"2.0","method":"a\/b\u0063"}`, KindNotification, "a/bc", "", ""},
		{`{"method":"m","params":{"s":"q\"uote\\","t":"\\\""}}`, KindNotification, "m", "", `{"s":"q\"uote\\","t":"\\\""}`},
		{`{"method":"m","params":"ends in a backslash\\"}`, KindNotification, "m", "", `"ends in a backslash\\"`},
		{`{"method":"m","params":"unterminated\"}`, KindInvalid, "", "", ""},
		{`{"jsonrpc":"2.0","id":1,"method":"x"`, KindInvalid, "", "1", ""},
		{`[1,2]`, KindInvalid, "", "", ""},
		{`{"jsonrpc":"2.0","id":1}`, KindInvalid, "", "1", ""},
		{`not json`, KindInvalid, "", "", ""},
		{`{"jsonrpc":"2.0","method":"x"} trailing`, KindInvalid, "", "", ""},
		{``, KindInvalid, "", "", ""},
	}
	for _, c := range cases {
		e := readEnvelope(c.text)
		if e.kind != c.kind || e.method != c.method || e.id != c.id || e.params != c.params {
			t.Errorf("readEnvelope(%s) = kind %s method %q id %q params %q; want %s %q %q %q",
				c.text, e.kind, e.method, e.id, e.params, c.kind, c.method, c.id, c.params)
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
		// Not arrays: returned whole; readEnvelope judges them.
		{`{"a":1} trailing`, []string{`{"a":1} trailing`}, 0, true},
		{``, []string{``}, 0, true},
	}
	for _, c := range cases {
		msgs, batch, ok := splitMessages(c.text)
		if len(msgs) != len(c.msgs) || batch != c.batch || ok != c.ok {
			t.Errorf("splitMessages(%q) = %q, %d, %v; want %q, %d, %v", c.text, msgs, batch, ok, c.msgs, c.batch, c.ok)
			continue
		}
		for i := range msgs {
			if msgs[i] != c.msgs[i] {
				t.Errorf("splitMessages(%q)[%d] = %q, want %q", c.text, i, msgs[i], c.msgs[i])
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
	if _, _, ok := splitMessages(string(deep)); ok {
		t.Error("a million nested arrays accepted")
	}
}

func FuzzEnvelope(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`)
	f.Add(`[{"id":1,"result":{}},{"method":"n"}]`)
	f.Add(`{"method":"\u00e9\\"}`)
	f.Fuzz(func(t *testing.T, text string) {
		msgs, _, _ := splitMessages(text)
		for _, m := range msgs {
			e := readEnvelope(m)
			if e.kind == "" {
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
		kind       MessageKind
		method, id string
	}{
		{`{"jsonrpc":"2.0","id":7,"result":{"content":[{"text":"xxx`, KindResult, "", "7"},
		{` { "id" : "a" , "error" : {"code":-1,"mess`, KindError, "", `"a"`},
		{`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"xx`, KindNotification, "notifications/message", ""},
		{`{"jsonrpc":"2.0","id":3,"method":"sampling/createMessage","params":{"x`, KindRequest, "sampling/createMessage", "3"},
		{`{"jsonrpc":"2.0","id":12`, KindInvalid, "", ""},
		{`[{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc"`, KindResult, "", "1"},
		{` [ {"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc"`, KindRequest, "ping", "2"},
		{`"xxxxxxxx`, KindInvalid, "", ""},
		{`[1,2,3`, KindInvalid, "", ""},
		{``, KindInvalid, "", ""},
		{`{"jsonrpc":"2.0","id":9,"result":{"a":1}}`, KindResult, "", "9"},
	}
	for _, c := range cases {
		e := readEnvelopePrefix(c.text)
		if e.kind != c.kind || e.method != c.method || e.id != c.id {
			t.Errorf("%s: got kind %q method %q id %q, want %q %q %q", c.text, e.kind, e.method, e.id, c.kind, c.method, c.id)
		}
	}
}
