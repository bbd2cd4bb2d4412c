package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestParseBoundsNesting is issue 14: 1.5 million nested "(" ended the
// process with "fatal error: stack overflow". Nesting past MaxDepth (of
// parentheses or negations) is an error with a column.
func TestParseBoundsNesting(t *testing.T) {
	deep := strings.Repeat("(", 1_500_000) + "method:x" + strings.Repeat(")", 1_500_000)
	nots := strings.Repeat("!", 1_500_000) + "method:x"
	for name, expr := range map[string]string{"parentheses": deep, "negations": nots, "open only": strings.Repeat("(", 1_500_000)} {
		_, err := Parse(expr)
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: Parse = %v, want a filter error", name, err)
		}
	}
	within := strings.Repeat("(", MaxDepth) + "method:x" + strings.Repeat(")", MaxDepth)
	if _, err := Parse(within); err != nil {
		t.Errorf("%d levels: %v, want it parsed", MaxDepth, err)
	}
	_, err := Parse("(" + within + ")")
	if want := fmt.Sprintf("column %d: nested deeper than %d levels", MaxDepth+1, MaxDepth); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%d levels: %v, want %q", MaxDepth+1, err, want)
	}
}

// TestParseBoundsSize checks the expression's length and term count.
func TestParseBoundsSize(t *testing.T) {
	if _, err := Parse("method:" + strings.Repeat("a", MaxLen-len("method:"))); err != nil {
		t.Errorf("a %d-byte filter: %v, want it parsed", MaxLen, err)
	}
	long := "method:" + strings.Repeat("a", MaxLen)
	if _, err := Parse(long); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a %d-byte filter: %v, want it refused", len(long), err)
	}
	terms := strings.TrimSpace(strings.Repeat("a ", MaxTerms))
	if _, err := Parse(terms); err != nil {
		t.Errorf("%d terms: %v, want it parsed", MaxTerms, err)
	}
	if _, err := Parse(terms + ` or "b"`); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("%d terms: %v, want it refused", MaxTerms+1, err)
	}
}
