package record

import (
	"strconv"
	"strings"
)

// CommandLine returns argv as one line to show and record (a stdio
// server's command, which names its session), with credentials redacted
// as a client's headers are: the value of an option or environment
// assignment whose name matches the secret patterns (--api-key=V,
// --token V, GITHUB_TOKEN=V), and URLs' user info and secret query
// values. Arguments with spaces or quotes are quoted. A Redactor that is
// not Active only joins and quotes.
func (r *Redactor) CommandLine(argv []string) string {
	out := make([]string, len(argv))
	secretNext := false
	for i, arg := range argv {
		shown := arg
		switch {
		case !r.Active():
		case secretNext:
			shown = Redacted
			secretNext = false
		default:
			name, _, assigned := strings.Cut(arg, "=")
			option := strings.HasPrefix(name, "-")
			switch {
			case assigned && (option || isEnvName(name)) && r.secretParam(strings.TrimLeft(name, "-"), false):
				shown = name + "=" + Redacted
			case option && !assigned && r.secretParam(strings.TrimLeft(name, "-"), false):
				secretNext = true
			default:
				shown = r.Text(arg)
			}
		}
		out[i] = quoteArg(shown)
	}
	return strings.Join(out, " ")
}

// isEnvName reports whether s looks like an environment variable's name
// (FOO_BAR), as in "env GITHUB_TOKEN=x server".
func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// quoteArg quotes an argument that would not read back as one word.
func quoteArg(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"'\\") {
		return strconv.Quote(s)
	}
	return s
}
