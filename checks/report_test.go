package checks_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/checks"
)

// TestReportsCarryHostileTextSafely: a problem whose message holds control
// characters, an escape sequence and invalid UTF-8 (a peer chose them)
// gives well-formed XML and a text report without the escape.
func TestReportsCarryHostileTextSafely(t *testing.T) {
	rep := &checks.Report{File: "x.jsonl", Sessions: []string{"s\x01"}, Problems: []checks.Problem{{Check: checks.CheckError, Key: "error:-1",
		Level: "error", Session: "s\x01", Seq: 3, Message: "bad \x01\x1b[31mred\xff </failure>"}}}
	var x bytes.Buffer
	if err := checks.WriteJUnit(&x, rep); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&x)
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("JUnit is not well-formed XML: %v\n%s", err, x.String())
		}
	}
	var txt bytes.Buffer
	if err := checks.WriteText(&txt, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(txt.String(), "\x1b[31m") || !strings.Contains(txt.String(), "red") {
		t.Errorf("text report:\n%q", txt.String())
	}
}
