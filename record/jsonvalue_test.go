package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/proxy"
)

// jsonText draws JSON texts, valid (compact, indented, with arbitrary
// strings) and not (cut short, a byte changed, loose numbers), so the
// scanner is held to encoding/json on both sides.
func jsonText() *rapid.Generator[string] {
	var value func(t *rapid.T, depth int) any
	value = func(t *rapid.T, depth int) any {
		switch k := rapid.IntRange(0, 6).Draw(t, "kind"); {
		case k == 0 || depth > 3 && k >= 4:
			return arbitraryText().Draw(t, "string")
		case k == 1:
			return rapid.Float64().Draw(t, "number")
		case k == 2:
			return rapid.SampledFrom([]any{true, false, nil, 0, -1, 1e21}).Draw(t, "literal")
		case k == 4:
			m := map[string]any{}
			for range rapid.IntRange(0, 3).Draw(t, "members") {
				m[arbitraryText().Draw(t, "key")] = value(t, depth+1)
			}
			return m
		default:
			var a []any
			for range rapid.IntRange(0, 3).Draw(t, "elements") {
				a = append(a, value(t, depth+1))
			}
			return a
		}
	}
	return rapid.Custom(func(t *rapid.T) string {
		v := value(t, 0)
		if rapid.IntRange(0, 4).Draw(t, "wrap") > 0 { // mostly a container, as messages are
			v = []any{v}
		}
		b, _ := json.Marshal(v)
		if rapid.Bool().Draw(t, "indent") {
			b, _ = json.MarshalIndent(v, " ", "\t")
		}
		s := string(b)
		if rapid.Bool().Draw(t, "unescape") { // invisible and separator characters as they are, not escaped
			s = strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(s)
		}
		switch rapid.IntRange(0, 5).Draw(t, "damage") {
		case 1:
			s = s[:rapid.IntRange(0, len(s)).Draw(t, "cut")]
		case 2:
			if len(s) > 0 {
				i := rapid.IntRange(0, len(s)-1).Draw(t, "at")
				s = s[:i] + rapid.SampledFrom([]string{"x", "\x00", "\\", `"`, "-", "0", ".", "e", "\xff", "\n", "]", "}", ",", ":"}).Draw(t, "byte") + s[i+1:]
			}
		case 3:
			s = rapid.SampledFrom([]string{"01", "-", "1.", ".5", "1e", "+1", "tru", "nul", `"\x"`, `"\u12"`, "[1,]", `{"a"}`, `{"a":1,}`, "1 2", "NaN", `"a` + "\t" + `b"`}).Draw(t, "loose")
		}
		return s
	})
}

// TestJSONValueAgreesWithEncodingJSON: appendJSONValue takes exactly the
// objects and arrays encoding/json calls valid (and that are UTF-8), writes a value
// that decodes to the same thing on one line with no invisible or
// separator characters, and says asSent exactly when it copied the text.
func TestJSONValueAgreesWithEncodingJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := jsonText().Draw(t, "text")
		checkJSONValue(t, text)
	})
}

func FuzzJSONValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e-3,"x\u2028"]}`, "[\n1\n]", "\"\u009b\"", `{"a":}`, "-0", "1e+", `"\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) { checkJSONValue(t, text) })
}

func checkJSONValue(t interface{ Fatalf(string, ...any) }, text string) {
	out, asSent, ok := appendJSONValue([]byte("x"), text)
	container := strings.IndexAny(strings.TrimLeft(text, " \t\r\n"), "{[") == 0
	if want := container && json.Valid([]byte(text)) && utf8.ValidString(text); ok != want {
		t.Fatalf("appendJSONValue(%q) ok = %v, an object or array, json.Valid and UTF-8: %v", text, ok, want)
	}
	if !ok {
		if string(out) != "x" {
			t.Fatalf("appendJSONValue(%q) failed but wrote %q", text, out)
		}
		return
	}
	got := out[1:]
	a, err := decodeNumbersAsText(got)
	if err != nil {
		t.Fatalf("appendJSONValue(%q) wrote %q, not JSON: %v", text, got, err)
	}
	if b, err := decodeNumbersAsText([]byte(text)); err != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("appendJSONValue(%q) wrote %q: decodes to %v, want %v", text, got, a, b)
	}
	if bytes.ContainsAny(got, "\n\r\u2028\u2029\u009b\u202e") {
		t.Fatalf("appendJSONValue(%q) wrote %q: a line break or an invisible character", text, got)
	}
	if asSent != (string(got) == text) {
		t.Fatalf("appendJSONValue(%q) wrote %q, asSent %v", text, got, asSent)
	}
}

// TestJSONValueDepth: a value nested deeper than the proxy reads stays a
// string (ok false), one at the bound is written.
func TestJSONValueDepth(t *testing.T) {
	at := strings.Repeat("[", jsonrpc.MaxDepth+1) + strings.Repeat("]", jsonrpc.MaxDepth+1)
	if _, _, ok := appendJSONValue(nil, at); !ok {
		t.Errorf("%d levels: not written as a value", jsonrpc.MaxDepth+1)
	}
	deeper := "[" + at + "]"
	if _, _, ok := appendJSONValue(nil, deeper); ok {
		t.Errorf("%d levels: written as a value", jsonrpc.MaxDepth+2)
	}
}

// TestHeadlessBodyIsAValue: a headless line carries a JSON body as a value
// jq can index, keeps the exact bytes of one it had to rewrite in
// body_b64, leaves a body that is not JSON a string, and Read gives every
// body back byte for byte.
func TestHeadlessBodyIsAValue(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		value      bool // body is a JSON value in the line
		exact      bool // body_b64 written
	}{
		{"compact", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`, true, false},
		{"indented", "{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1,\n  \"method\": \"tools/call\",\n  \"params\": {\"name\": \"echo\"}\n}", true, true},
		{"csi", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"x\":\"\u009b2J\"}}", true, true},
		{"cut", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ech`, false, false},
		{"escape", "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"x\":\"\x1b[2J\"}}", false, false},
		{"not utf-8", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"x\":\"\xff\"}}", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &Observation{Seq: 4, Type: proxy.TypeMessage, Kind: proxy.KindRequest, Method: "tools/call", ID: "1", Body: tc.body}
			line, err := newHeadlessEncoder().appendLine(nil, o)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Count(line, []byte("\n")) != 1 || bytes.ContainsAny(line, "\x1b\u009b") {
				t.Fatalf("not one clean line: %q", line)
			}
			var got struct {
				Body    json.RawMessage `json:"body"`
				BodyB64 *string         `json:"body_b64"`
			}
			if err := json.Unmarshal(line, &got); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if isValue := got.Body[0] == '{'; isValue != tc.value {
				t.Fatalf("body written as a value: %v, want %v: %s", isValue, tc.value, line)
			}
			if tc.value {
				var m struct {
					Params struct{ Name string } `json:"params"`
				}
				if err := json.Unmarshal(got.Body, &m); err != nil || m.Params.Name != "echo" {
					t.Fatalf("body.params.name = %q, %v: %s", m.Params.Name, err, line)
				}
			}
			if (got.BodyB64 != nil) != tc.exact {
				t.Fatalf("body_b64 written: %v, want %v: %s", got.BodyB64 != nil, tc.exact, line)
			}
			back := readAll(t, line)
			if len(back) != 1 || back[0].Body != tc.body {
				t.Fatalf("read back %q, want %q", back[0].Body, tc.body)
			}
		})
	}
}

// TestReadsOlderHeadlessLines: --headless output of older builds, whose
// body is a JSON string holding the message, still loads with that body.
func TestReadsOlderHeadlessLines(t *testing.T) {
	old := `{"seq":3,"type":"message","time":"2026-01-15T10:00:00Z","session":"s1","direction":"client_to_server","kind":"request","method":"tools/call","id":2,"body":"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}"}` + "\n" +
		`{"seq":4,"type":"message","time":"2026-01-15T10:00:01Z","session":"s1","direction":"server_to_client","kind":"result","method":"tools/call","id":2,"body":{"jsonrpc":"2.0","id":2,"result":{}}}` + "\n"
	got := readAll(t, []byte(old))
	if len(got) != 2 || got[0].Body != `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}` || got[1].Body != `{"jsonrpc":"2.0","id":2,"result":{}}` {
		t.Fatalf("read %+v", got)
	}
}

// TestHeadlessRoundTrip: any observation written as a headless line reads
// back with its body and raw bytes exactly.
func TestHeadlessRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := genObservation(t)
		if rapid.Bool().Draw(t, "json body") {
			o.Body = jsonText().Draw(t, "body")
		}
		line, err := newHeadlessEncoder().appendLine(nil, o)
		if err != nil {
			t.Fatal(err)
		}
		var back []*Observation
		if err := Read(bytes.NewReader(line), func(o *Observation) error { back = append(back, o); return nil }); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if len(back) != 1 || back[0].Body != o.Body || back[0].Raw != o.Raw {
			t.Fatalf("%s read back as %+v", line, back)
		}
	})
}

// decodeNumbersAsText decodes b with numbers kept as their text
// (json.Number): valid JSON such as 1e375 does not fit a float64, and the
// writer must copy numbers as sent anyway.
func decodeNumbersAsText(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("more than one value")
	}
	return v, nil
}
