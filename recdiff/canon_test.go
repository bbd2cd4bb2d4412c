package recdiff

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// genValue draws a JSON value (maps, arrays, strings, integers, literals)
// of bounded depth; no member is named "_meta".
func genValue(t *rapid.T, depth int) any {
	kinds := 5
	if depth >= 3 {
		kinds = 3
	}
	switch rapid.IntRange(0, kinds-1).Draw(t, "kind") {
	case 0:
		return rapid.StringMatching(`[a-z<>&é.]{0,6}`).Draw(t, "string")
	case 1:
		return rapid.IntRange(-1000, 1000).Draw(t, "int")
	case 2:
		return rapid.SampledFrom([]any{true, false, nil}).Draw(t, "literal")
	case 3:
		m := map[string]any{}
		for _, k := range rapid.SliceOfNDistinct(rapid.StringMatching(`[a-z.]{1,4}`), 0, 4, rapid.ID[string]).Draw(t, "keys") {
			m[k] = genValue(t, depth+1)
		}
		return m
	}
	n := rapid.IntRange(0, 4).Draw(t, "len")
	a := make([]any, n)
	for i := range a {
		a[i] = genValue(t, depth+1)
	}
	return a
}

// spell writes v as JSON the way some peer might: keys in any order,
// whitespace anywhere, integers as 5, 5.0 or 5e0, "_meta" members added.
func spell(t *rapid.T, v any, b *strings.Builder) {
	ws := func() { b.WriteString(rapid.SampledFrom([]string{"", " ", "\n", "\t "}).Draw(t, "ws")) }
	ws()
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		keys = rapid.Permutation(keys).Draw(t, "order")
		if rapid.Bool().Draw(t, "meta") {
			keys = append(keys, "_meta")
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			ws()
			b.WriteByte(':')
			if k == "_meta" {
				spell(t, genValue(t, 2), b)
			} else {
				spell(t, v[k], b)
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			spell(t, e, b)
		}
		b.WriteByte(']')
	case int:
		n := strconv.Itoa(v)
		b.WriteString(rapid.SampledFrom([]string{n, n + ".0", n + "e0", n + ".000E+0"}).Draw(t, "number"))
	default:
		vb, _ := json.Marshal(v)
		b.Write(vb)
	}
	ws()
}

// TestCanonicalIgnoresSpellingAndMeta: however a value is spelled (key
// order, whitespace, number form) and whatever "_meta" it carries, its
// canonical text is the one of the value as encoding/json writes it.
func TestCanonicalIgnoresSpellingAndMeta(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genValue(t, 0)
		plain, _ := json.Marshal(v)
		var b strings.Builder
		spell(t, v, &b)
		var c cleaner
		want, err := canonical(plain, &c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := canonical([]byte(b.String()), &c)
		if err != nil {
			t.Fatalf("canonical(%s): %v", b.String(), err)
		}
		if got != want {
			t.Fatalf("canonical(%s) = %s, want %s", b.String(), got, want)
		}
	})
}

// TestCanonicalTellsValuesApart: different values keep different
// canonical texts (the cleaning loses nothing else).
func TestCanonicalTellsValuesApart(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, y := genValue(t, 0), genValue(t, 0)
		xb, _ := json.Marshal(x)
		yb, _ := json.Marshal(y)
		var c cleaner
		cx, _ := canonical(xb, &c)
		cy, _ := canonical(yb, &c)
		if (string(xb) == string(yb)) != (cx == cy) {
			t.Fatalf("%s and %s: canonical %s and %s", xb, yb, cx, cy)
		}
	})
}

func TestCanonicalTimestampsAndIgnorePaths(t *testing.T) {
	paths := []Path{}
	for _, s := range []string{"result.content.#.etag", "result.structured*.req?d", `result.a\.b`} {
		p, err := ParsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	c := cleaner{timestamps: true, ignore: paths}
	in := `{"result":{"content":[{"text":"x","etag":"1"},{"etag":"2","createdAt":"2026-12-05T08:00:00Z"}],
		"structuredContent":{"reqId":7,"reqIds":[1],"Timestamp":12,"date":{"kept":"objects are not timestamps"}},"a.b":1,"a":{"b":2}}}`
	got, err := canonical([]byte(in), &c)
	want := `{"result":{"a":{"b":2},"content":[{"text":"x"},{}],"structuredContent":{"date":{"kept":"objects are not timestamps"},"reqIds":[1]}}}`
	if err != nil || got != want {
		t.Errorf("canonical =\n%s, %v\nwant\n%s", got, err, want)
	}
	c.timestamps = false
	if got, _ := canonical([]byte(`{"time":1}`), &c); got != `{"time":1}` {
		t.Errorf("timestamps kept where not asked: %s", got)
	}
}

func TestParsePath(t *testing.T) {
	for _, bad := range []string{"", "a..b", "a.", ".a", strings.Repeat("a.", maxPathSegments) + "a"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
	p, err := ParsePath(`x\.y.\#.#.a*`)
	want := Path{{pattern: "x.y"}, {pattern: "#"}, {pattern: "#", index: true}, {pattern: "a*", glob: true}}
	if err != nil || len(p) != len(want) {
		t.Fatalf("ParsePath = %+v, %v", p, err)
	}
	for i := range want {
		if p[i] != want[i] {
			t.Errorf("segment %d = %+v, want %+v", i, p[i], want[i])
		}
	}
	for pattern, names := range map[string][2][]string{
		"a*c":   {{"ac", "abc", "abbbc"}, {"ab", "acb", ""}},
		"?":     {{"x", "0"}, {"", "xy"}},
		"*":     {{"", "anything"}, nil},
		"a*b*c": {{"abc", "aXbYc", "abbc"}, {"acb", "ab"}},
	} {
		for _, n := range names[0] {
			if !glob(pattern, n) {
				t.Errorf("glob(%q, %q) = false", pattern, n)
			}
		}
		for _, n := range names[1] {
			if glob(pattern, n) {
				t.Errorf("glob(%q, %q) = true", pattern, n)
			}
		}
	}
}

// FuzzCanonicalIsStable: canonical text is canonical (a second pass
// changes nothing), and ignore paths never panic.
func FuzzCanonicalIsStable(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1.0,{"_meta":2}]}`, `[1e400, -0, 0.5e1]`, `"\u001b"`, `{"a.b":{"c":null}}`, `{`} {
		f.Add(s, "a.#.c")
	}
	f.Fuzz(func(t *testing.T, text, path string) {
		c := cleaner{timestamps: true}
		if p, err := ParsePath(path); err == nil {
			c.ignore = []Path{p}
		}
		once, err := canonical([]byte(text), &c)
		if err != nil {
			return
		}
		twice, err := canonical([]byte(once), &cleaner{})
		if err != nil || twice != once {
			t.Fatalf("canonical(%q) = %q, then %q (%v)", text, once, twice, err)
		}
	})
}
