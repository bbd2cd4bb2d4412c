package termtext

import "testing"

func TestSafe(t *testing.T) {
	cases := map[string]string{
		"plain text":                         "plain text",
		"red \x1b[31mtext\x1b[0m":            "red text",
		"title \x1b]0;pwned\x07 after":       "title  after",
		"clip \x1b]52;c;ZXZpbA==\x1b\\ done": "clip  done",
		"dcs \x1bPq#0;2;0;0;0\x1b\\ end":     "dcs  end",
		"8-bit \u009b2J csi":                 "8-bit  csi",
		"tab\tnl\ncr\r":                      `tab\tnl\ncr\r`,
		"bell \x07 del \x7f":                 `bell \x07 del \x7f`,
		"bad \xff utf8":                      "bad \uFFFD utf8",
		"unterminated \x1b[":                 "unterminated ",
		"unicode ✓ é 漢":                      "unicode ✓ é 漢",
	}
	for in, want := range cases {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SafeLines("a\x1b[2J\nb\r\nc"); got != "a\nb\nc" {
		t.Errorf("sanitizeLines = %q", got)
	}
}

func FuzzSafe(f *testing.F) {
	f.Add("x\x1b[31my\x1b]0;t\x07z")
	f.Fuzz(func(t *testing.T, s string) {
		out := Safe(s)
		for i := 0; i < len(out); i++ {
			if c := out[i]; c < 0x20 || c == 0x7f {
				t.Fatalf("Safe(%q) = %q keeps control byte %#x", s, out, c)
			}
		}
	})
}
