package checks

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/internal/termtext"
)

// WriteText writes the report for a person: a summary line, then one
// line per problem with its citation. Peers' strings are made safe for a
// terminal.
func WriteText(w io.Writer, rep *Report) error {
	n := len(rep.Problems) + rep.Omitted
	status := "clean"
	if n > 0 {
		status = plural.Count(n, "problem")
	}
	fmt.Fprintf(w, "%s: %s (%s in %s", termtext.Safe(rep.File), status, plural.Count(rep.Observations, "observation"), plural.Count(len(rep.Sessions), "session"))
	if rep.Allowed > 0 {
		fmt.Fprintf(w, "; %d allowed", rep.Allowed)
	}
	fmt.Fprintln(w, ")")
	for _, p := range rep.Problems {
		where := ""
		if p.Session != "" {
			where = "session " + termtext.Safe(short(p.Session)) + " "
		}
		at := ""
		if p.Seq != 0 {
			at = " (#" + strconv.FormatUint(p.Seq, 10) + ")"
		}
		fmt.Fprintf(w, "%s %s%s: %s%s\n", p.Level, where, p.Key, termtext.Safe(p.Message), at)
		if p.URL != "" {
			rev := p.Revision
			if rev == "" {
				rev = "all revisions"
			}
			fmt.Fprintf(w, "    %s, %s: %s\n", rev, p.Section, p.URL)
		}
	}
	if rep.Omitted > 0 {
		fmt.Fprintf(w, "and %d more not listed\n", rep.Omitted)
	}
	for _, th := range rep.Thresholds {
		measured := "no answered calls"
		if th.Answered {
			measured = "p95 " + th.P95.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "max-p95 %s=%s: %s\n", termtext.Safe(th.Key), th.Limit, measured)
	}
	return nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// WriteJSON writes the report as one JSON object.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// JUnit XML, in the shape of Jenkins' junit-4.xsd (which CI systems read):
// one testsuite per session, a testcase per check (every rule, and
// "error"), a failure element per problem; the latency thresholds and
// problems of no session in a testsuite of their own.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Failures  []junitFailure `xml:"failure"`
}

type junitFailure struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML.
func WriteJUnit(w io.Writer, rep *Report) error {
	checks := make([]string, 0, len(Rules)+1)
	for _, r := range Rules {
		checks = append(checks, r.ID)
	}
	checks = append(checks, CheckError)
	bySession := map[string][]Problem{}
	for _, p := range rep.Problems {
		bySession[p.Session] = append(bySession[p.Session], p)
	}
	doc := junitSuites{Name: "mcpscope check " + xmlSafe(rep.File)}
	suite := func(name, class string, cases []string, problems []Problem) {
		s := junitSuite{Name: name}
		byCheck := map[string][]Problem{}
		for _, p := range problems {
			byCheck[p.Check] = append(byCheck[p.Check], p)
		}
		for _, c := range cases {
			jc := junitCase{Name: c, Classname: class}
			for _, p := range byCheck[c] {
				jc.Failures = append(jc.Failures, junitFailure{Type: p.Key, Message: xmlSafe(p.Message), Text: xmlSafe(detail(p))})
			}
			if len(jc.Failures) > 0 {
				s.Failures++
			}
			s.Cases = append(s.Cases, jc)
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Suites = append(doc.Suites, s)
	}
	for _, id := range rep.Sessions {
		suite("session "+xmlSafe(id), "mcpscope.check.session."+xmlSafe(id), checks, bySession[id])
	}
	var others []string
	for _, th := range rep.Thresholds {
		others = append(others, CheckMaxP95+":"+th.Key)
	}
	rest := bySession[""]
	for i := range rest {
		if rest[i].Check == CheckMaxP95 {
			rest[i].Check = rest[i].Key
		}
	}
	if len(rest) > 0 || len(others) > 0 || len(rep.Sessions) == 0 {
		suite("no session", "mcpscope.check", append(append([]string(nil), checks...), others...), rest)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// detail is a failure's text: where, what, and the rule's citation.
func detail(p Problem) string {
	s := p.Message
	if p.Seq != 0 {
		s += "\nobservation #" + strconv.FormatUint(p.Seq, 10)
	}
	if p.Method != "" {
		s += "\nmethod " + p.Method
	}
	if p.ID != "" {
		s += "\nid " + p.ID
	}
	if p.URL != "" {
		s += "\n" + p.Revision + " " + p.Section + ": " + p.URL
	}
	return s
}

// xmlSafe replaces with U+FFFD what XML 1.0 cannot carry (control
// characters other than tab and newlines, U+FFFE, U+FFFF), which
// encoding/xml would write as they are; invalid UTF-8 reads as U+FFFD
// already.
func xmlSafe(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !xmlChar(r) }) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if xmlChar(r) {
			return r
		}
		return '\uFFFD'
	}, s)
}

// xmlChar reports whether XML 1.0 allows r (its production Char).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
