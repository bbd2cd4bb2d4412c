package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestEscapesInvisible: C1 controls and bidirectional overrides never
// reach a line raw, in the fields the encoder writes itself or through
// encoding/json (the exchange's URL, headers, decisions); the line is
// JSON and reads back as the same observation.
func TestEscapesInvisible(t *testing.T) {
	sneaky := "a\u009b31m\u0085b\u202ec\u2066d\u2069e\u202af"
	o := &Observation{Seq: 1, Type: proxy.TypeSSEEvent, Time: time.Unix(1, 0).UTC(), Body: `{"x":"` + sneaky + `"}`, Raw: "data: " + sneaky + "\n\n",
		Method: sneaky, Reason: sneaky, Flags: []string{sneaky}, ID: proxy.RawJSON(`"` + sneaky + `"`),
		HTTP:     &proxy.HTTPExchange{URL: "http://h/" + sneaky, RequestHeaders: map[string][]string{"X-Note": {sneaky}}},
		Decision: &proxy.Decision{Rules: []string{sneaky}, Action: "modify", Note: sneaky}}
	for _, bodyAt := range []bool{false, true} {
		line, err := newLineEncoder(bodyAt).appendLine(nil, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []string{"\u009b", "\u0085", "\u202e", "\u2066", "\u2069", "\u202a"} {
			if bytes.Contains(line, []byte(r)) {
				t.Errorf("body_at %v: %U is in the line raw: %s", bodyAt, []rune(r)[0], line)
			}
		}
		if !bytes.Contains(line, []byte(`\u009b`)) || !bytes.Contains(line, []byte(`\u202e`)) || !json.Valid(bytes.TrimSpace(line)) {
			t.Errorf("body_at %v: %s", bodyAt, line)
		}
		back := readAll(t, line)
		if len(back) == 1 { // the id is JSON text: escaped, it reads back as the same value
			var got, want string
			if json.Unmarshal([]byte(back[0].ID), &got) != nil || json.Unmarshal([]byte(o.ID), &want) != nil || got != want {
				t.Errorf("body_at %v: id %s read back as %s", bodyAt, o.ID, back[0].ID)
			}
			back[0].ID = o.ID
		}
		if len(back) != 1 || !reflect.DeepEqual(back[0], o) {
			t.Errorf("body_at %v: read back %+v\nwant %+v", bodyAt, back[0], o)
		}
	}
}

// TestEscapeInvisibleLinear: text dense with characters to escape (128K
// of them in a header, as a hostile upstream may send) is escaped in one
// pass, well within a second, and as a rune-by-rune reference does.
func TestEscapeInvisibleLinear(t *testing.T) {
	text := []byte(`{"X-Note":["` + strings.Repeat("a\u0085\u202e", 64<<10) + `"]}`)
	var want []byte
	for _, c := range string(text) {
		if invisible(c) {
			want = fmt.Appendf(want, `\u%04x`, c)
		} else {
			want = utf8.AppendRune(want, c)
		}
	}
	start := time.Now()
	got := escapeInvisible(bytes.Clone(text))
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("escaped differently from the reference (%d bytes, want %d)", len(got), len(want))
	}
}
