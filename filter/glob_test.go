package filter

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestGlobLinear is issue 14: one glob against a 200 KB method name cost
// 3.35 s per message (the old matcher backtracked to the last star and
// compared the whole segment again at every byte). The bound is generous:
// the point is that no pattern costs seconds.
func TestGlobLinear(t *testing.T) {
	subject := &Subject{Direction: "client_to_server", Kind: "request", Method: strings.Repeat("a", 200_000)}
	for _, expr := range []string{
		"method:*" + strings.Repeat("a", 8100) + "b*",                          // a long segment, nearly found at every byte
		"method:" + strings.Repeat("*a", 3000) + "*b*",                         // many stars
		"method:*" + strings.Repeat("a?", 3000) + "b*",                         // wildcards in the segment
		"method:" + strings.Repeat("*"+strings.Repeat("a", 60)+"c", 100) + "*", // many segments, each searched for
		strings.Repeat("a", 8100) + "b",                                        // a bare word: a substring search
	} {
		f := MustParse(expr)
		start := time.Now()
		if f.Match(subject) {
			t.Errorf("%.20s… matched", expr)
		}
		took := time.Since(start)
		t.Logf("%.20s…: %v", expr, took)
		if took > time.Second {
			t.Errorf("%.20s… took %v against a 200 KB method, want it linear", expr, took)
		}
	}
}

// globRegexp is the reference: the glob as a regular expression.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?is)^`)
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// TestGlobAgreesWithRegexp checks the matcher against a regular expression
// built from the glob, and the bare-word search against strings.Contains,
// on small ASCII inputs (where a byte is a character).
func TestGlobAgreesWithRegexp(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pattern := rapid.StringOfN(rapid.SampledFrom([]rune("ab/*?")), 0, 12, -1).Draw(t, "pattern")
		s := rapid.StringOfN(rapid.SampledFrom([]rune("abAB/?*")), 0, 20, -1).Draw(t, "s")
		if got, want := compileGlob(pattern).match(s), globRegexp(pattern).MatchString(s); got != want {
			t.Fatalf("glob %q against %q: %v, want %v", pattern, s, got, want)
		}
		word := strings.ReplaceAll(pattern, "*", "")
		if got, want := newText(word).seg.index(s) >= 0, strings.Contains(strings.ToLower(s), word); got != want {
			t.Fatalf("bare word %q in %q: %v, want %v", word, s, got, want)
		}
	})
}

// TestGlobAgreesWithRegexpLong is TestGlobAgreesWithRegexp with patterns
// of up to 4 segments of up to 128 bytes (so several 64-bit words), against
// subjects made from the pattern (each star some bytes, each ? one byte,
// letters in either case), one byte of them sometimes changed, so that
// they match about as often as not.
func TestGlobAgreesWithRegexpLong(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		segs := make([]string, rapid.IntRange(1, 4).Draw(t, "segments"))
		for i := range segs { // rapid keeps drawn lengths small: draw each length itself
			n := rapid.IntRange(0, 128).Draw(t, "length")
			segs[i] = rapid.StringOfN(rapid.SampledFrom([]rune("aaab/?")), n, n, -1).Draw(t, "segment")
		}
		pattern := strings.Join(segs, "*")
		var b strings.Builder
		for i := 0; i < len(pattern); i++ {
			switch c := pattern[i]; c {
			case '*':
				b.WriteString(rapid.StringOfN(rapid.SampledFrom([]rune("ab")), 0, 8, -1).Draw(t, "star"))
			case '?':
				b.WriteByte(rapid.SampledFrom([]byte("abAB/")).Draw(t, "any"))
			default:
				if rapid.Bool().Draw(t, "upper") {
					c = byte(strings.ToUpper(string(c))[0])
				}
				b.WriteByte(c)
			}
		}
		s := []byte(b.String())
		if len(s) > 0 && rapid.Bool().Draw(t, "change") {
			s[rapid.IntRange(0, len(s)-1).Draw(t, "at")] = rapid.SampledFrom([]byte("abc/")).Draw(t, "to")
		}
		if got, want := compileGlob(pattern).match(string(s)), globRegexp(pattern).MatchString(string(s)); got != want {
			t.Fatalf("glob %q against %q: %v, want %v", pattern, s, got, want)
		}
	})
}

// TestGlobLongSegments checks segments longer than one 64-bit word.
func TestGlobLongSegments(t *testing.T) {
	long := strings.Repeat("ab", 70) // 140 bytes: three words
	cases := []struct {
		p, s string
		want bool
	}{
		{"*" + long + "*", "xx" + strings.ToUpper(long) + "yy", true},
		{"*" + long + "*", "xx" + long[:139] + "yy", false},
		{"*" + strings.Repeat("?", 130) + "b", strings.Repeat("a", 200) + "b", true},
		{"*" + strings.Repeat("?", 130) + "b", strings.Repeat("a", 130) + "b", true},
		{"*" + strings.Repeat("?", 130) + "b", strings.Repeat("a", 129) + "b", false},
		{long + "*" + long, long + long, true},
		{long + "*" + long, long + long[1:], false},
	}
	for _, c := range cases {
		if got := compileGlob(c.p).match(c.s); got != c.want {
			t.Errorf("glob %.10q… against %.10q…: %v, want %v", c.p, c.s, got, c.want)
		}
	}
}
