package record

import (
	"encoding/json"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// stringEndByByte is stringEnd as it was, one byte at a time: the
// reference the jumping version is held to.
func stringEndByByte(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '"':
			return j + 1
		case '\\':
			j++
		}
	}
	return len(s)
}

func TestStringEndMatchesByteLoop(t *testing.T) {
	piece := rapid.SampledFrom([]string{`"`, `\`, `\\`, `\"`, "a", "xxxxxxxxxxxxxxxxxxxxxxxx", "é", ":", "\n"})
	rapid.Check(t, func(t *rapid.T) {
		s := `"` + strings.Join(rapid.SliceOfN(piece, 0, 30).Draw(t, "pieces"), "")
		for i := 0; i < len(s); i++ {
			if s[i] != '"' {
				continue
			}
			if got, want := stringEnd(s, i), stringEndByByte(s, i); got != want {
				t.Fatalf("stringEnd(%q, %d) = %d, the byte loop says %d", s, i, got, want)
			}
		}
	})
}

// jsonishText draws text made of JSON's punctuation, secret names spelled
// every way the walk reads them (cases, '_' and '-', \u escapes of their
// letters), near misses, escapes and space: valid JSON or not.
func jsonishText() *rapid.Generator[string] {
	piece := rapid.SampledFrom([]string{"{", "}", "[", "]", ":", ",", " ", "\n", `"`, `\`, `\"`, `\\`, `\/`, `\n`,
		"token", "Token", "TOKEN", "to_ken", "api_key", "API-KEY", "apiKey", "pass", "word", "password", "passwd", "secret",
		`\u0074`, `\u0054`, `\u005f`, `\u006b`, `\u0065n`, `\u0022`, `\u005c`, `\u003a`, "progressToken", "x", "1", "null", "é", "\x00",
		`"token"`, `"token":`, `"api\u004bey":`, `"\u0074oken"`, `"to_ken" :`, `"tok\u0065n"`, `"a\"token":`, `"x":`, `"pass\\"`})
	return rapid.Custom(func(t *rapid.T) string {
		return strings.Join(rapid.SliceOfN(piece, 0, 40).Draw(t, "pieces"), "")
	})
}

// jsonMessage draws valid JSON: nested objects and arrays whose member
// names are secret names, spelled plainly or escaped, or not, and whose
// string values hold quotes, colons and names too.
func jsonMessage() *rapid.Generator[string] {
	names := rapid.SampledFrom([]string{"token", "Api-Key", "client_secret", `\u0074oken`, `pass\u0077ord`, `API\u005fKEY`, `to\"ken`,
		"progressToken", "nextCursor", "type", "properties", "inputSchema", "text", "k", `\\token`, `token\n`})
	strs := rapid.SampledFrom([]string{"", "v", `a\"token\":\"s\"`, `{\"password\":\"p\"}`, "token", ":", `\u0074oken\":`, "é"})
	var value func(t *rapid.T, depth int) string
	value = func(t *rapid.T, depth int) string {
		kind := rapid.IntRange(0, 4).Draw(t, "kind")
		if depth > 4 {
			kind = rapid.IntRange(0, 1).Draw(t, "leaf")
		}
		switch kind {
		case 0:
			return `"` + strs.Draw(t, "string") + `"`
		case 1:
			return rapid.SampledFrom([]string{"1", "-2.5e3", "true", "null"}).Draw(t, "scalar")
		case 2:
			n := rapid.IntRange(0, 3).Draw(t, "elements")
			var el []string
			for range n {
				el = append(el, value(t, depth+1))
			}
			return "[" + strings.Join(el, ",") + "]"
		}
		n := rapid.IntRange(0, 4).Draw(t, "members")
		var m []string
		for range n {
			m = append(m, `"`+names.Draw(t, "name")+`"`+rapid.SampledFrom([]string{":", " : ", "\n:"}).Draw(t, "colon")+value(t, depth+1))
		}
		return "{" + strings.Join(m, ",") + "}"
	}
	return rapid.Custom(func(t *rapid.T) string { return value(t, 0) })
}

// TestPrefilterNeverMissesWhatTheWalkFinds: on any text, redaction with
// the fast path gives what the full walk gives; wherever the walk
// redacts, the prefilter said it might.
func TestPrefilterNeverMissesWhatTheWalkFinds(t *testing.T) {
	j := NewRedactor(nil).json
	rapid.Check(t, func(t *rapid.T) {
		text := rapid.OneOf(jsonishText(), jsonMessage()).Draw(t, "text")
		want, walked := j.walk(text, false)
		if walked && !j.mayHoldName(text) {
			t.Fatalf("the walk redacts %q to %q, but the prefilter let it through", text, want)
		}
		if got, changed := j.redact(text); got != want || changed != walked {
			t.Fatalf("redact(%q) = %q, %v; the walk gives %q, %v", text, got, changed, want, walked)
		}
	})
}

func TestPrefilterCatchesEscapedAndSpacedNames(t *testing.T) {
	j := NewRedactor(nil).json
	for _, text := range []string{
		`{"\u0074oken":"S"}`, `{"to\u006Ben":"S"}`, `{"TOKEN" : "S"}`, "{\"token\"\n:\"S\"}", `{"api-key":"S"}`,
		`{"pass\u0077ord":"S"}`, `{"a":{"b":[{"Client_Secret":"S"}]}}`, `{"api\u005fkey":1234}`, `x\"token":"S"`,
		`{"list":"x:y","token":"S"}`, `{"t":"\"","token":"S"}`, `{"t":"\\","token":"S"}`,
	} {
		got, changed := j.redact(text)
		if !changed || strings.Contains(got, "S\"") || strings.Contains(got, "1234") {
			t.Errorf("%s: redacted to %s", text, got)
		}
		if want, _ := j.walk(text, false); got != want {
			t.Errorf("%s: %s, the walk gives %s", text, got, want)
		}
	}
	for _, text := range []string{
		`{"progressToken":"p","text":"a\"token\":\"s\""}`, `{"x\/token":"s"}`, `{"to\"ken":"s"}`, `{"\\token":"s"}`, `{"token\n":"s"}`,
		`{"a":"b"}`, `"token"`, `{"content":[{"type":"text","text":"token: s"}]}`,
	} {
		if got, changed := j.redact(text); changed {
			t.Errorf("%s: redacted to %s", text, got)
		}
		if json.Valid([]byte(text)) && j.mayHoldName(text) && !strings.Contains(text, `\"token\":`) {
			t.Errorf("%s: the prefilter sends it to the walk, which finds nothing", text)
		}
	}
}
