package sse

// Table tests for the parser. Every case cites the rule of WHATWG HTML §9.2.6
// "Interpreting an event stream" it checks:
// https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
// (and §9.2.5 "Parsing an event stream" for line endings and the BOM).

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

// blk is a comparable copy of a Block (a Block's slices alias buffers that are
// only valid until the next parser call).
type blk struct {
	Raw        string
	ID         string
	HasID      bool
	Event      string
	Data       string
	Retry      int64
	HasRetry   bool
	Comments   int
	Dispatch   bool
	Oversized  bool
	Partial    bool
	Incomplete bool
}

func snap(b *Block) blk {
	return blk{
		Raw: string(b.Raw), ID: string(b.ID), HasID: b.HasID, Event: string(b.Event),
		Data: string(b.Data), Retry: b.Retry, HasRetry: b.HasRetry, Comments: b.Comments,
		Dispatch: b.Dispatch, Oversized: b.Oversized, Partial: b.Partial, Incomplete: b.Incomplete,
	}
}

// String prints the non-zero fields, strings quoted.
func (b blk) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "{Raw:%q", b.Raw)
	for _, f := range []struct {
		name string
		v    any
		set  bool
	}{
		{"ID", b.ID, b.ID != ""}, {"HasID", b.HasID, b.HasID}, {"Event", b.Event, b.Event != ""},
		{"Data", b.Data, b.Data != ""}, {"Retry", b.Retry, b.Retry != 0}, {"HasRetry", b.HasRetry, b.HasRetry},
		{"Comments", b.Comments, b.Comments != 0}, {"Dispatch", b.Dispatch, b.Dispatch},
		{"Oversized", b.Oversized, b.Oversized}, {"Partial", b.Partial, b.Partial},
		{"Incomplete", b.Incomplete, b.Incomplete},
	} {
		if f.set {
			if s, ok := f.v.(string); ok {
				fmt.Fprintf(&sb, " %s:%q", f.name, s)
			} else {
				fmt.Fprintf(&sb, " %s:%v", f.name, f.v)
			}
		}
	}
	sb.WriteString("}")
	return sb.String()
}

// collect feeds the chunks in order, draining Next after each, then calls End.
// It returns every block and the parser's LastEventID right after each one.
func collect(p *Parser, chunks ...[]byte) (bs []blk, lastIDs []string) {
	add := func(b *Block) {
		bs = append(bs, snap(b))
		lastIDs = append(lastIDs, string(p.LastEventID()))
	}
	for _, c := range chunks {
		p.Feed(c)
		for b, ok := p.Next(); ok; b, ok = p.Next() {
			add(b)
		}
	}
	if b, ok := p.End(); ok {
		add(b)
	}
	return bs, lastIDs
}

func strChunks(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// chunksOf cuts in into pieces of n bytes (the last one shorter).
func chunksOf(in []byte, n int) [][]byte {
	var out [][]byte
	for len(in) > n {
		out = append(out, in[:n:n])
		in = in[n:]
	}
	return append(out, in)
}

func rawConcat(bs []blk) string {
	var sb strings.Builder
	for _, b := range bs {
		sb.WriteString(b.Raw)
	}
	return sb.String()
}

const bomStr = "\xEF\xBB\xBF"

// Rule quotes, so the table below stays short.
const (
	ruleLines   = `§9.2.5: "a CRLF character pair, a single LF ... not preceded by a CR, and a single CR ... not followed by a LF being the ways in which a line can end"`
	ruleBOM     = `§9.2.5: "stream = [ bom ] *event" (decoded with UTF-8 decode, which strips one leading BOM)`
	ruleBlank   = `"If the line is empty (a blank line): Dispatch the event"`
	ruleComment = `"If the line starts with a U+003A COLON character (:): Ignore the line."`
	ruleColon   = `"Collect the characters on the line after the first U+003A COLON ... If value starts with a U+0020 SPACE character, remove it from value."`
	ruleNoColon = `"Otherwise, the string is not empty but does not contain a U+003A COLON character: ... using the whole line as the field name, and the empty string as the field value."`
	ruleData    = `"If the field name is "data": Append the field value to the data buffer, then append a single U+000A LINE FEED (LF)"`
	ruleEvent   = `"If the field name is "event": Set the event type buffer to field value."`
	ruleID      = `"If the field name is "id": If the field value does not contain U+0000 NULL, then set the last event ID buffer to the field value. Otherwise, ignore the field."`
	ruleRetry   = `"If the field name is "retry": If the field value consists of only ASCII digits, then interpret the field value as an integer in base ten ... Otherwise, ignore the field."`
	ruleUnknown = `"Otherwise: The field is ignored."`
	ruleNoData  = `dispatch step 2: "If the data buffer is an empty string, set the data buffer and the event type buffer to the empty string and return."`
	ruleTrimLF  = `dispatch step 3: "If the data buffer's last character is a U+000A LINE FEED (LF) character, then remove the last character from the data buffer."`
	ruleEOF     = `"Once the end of the file is reached, any pending data must be discarded."`
)

type parseCase struct {
	name    string
	rule    string
	chunks  []string // fed one Feed call each
	want    []blk
	lastIDs []string // optional: LastEventID() after each block
}

func ev(raw, data string) blk { return blk{Raw: raw, Data: data, Dispatch: true} }

var parseCases = []parseCase{
	// Line endings.
	{name: "LF", rule: ruleLines, chunks: []string{"data: a\n\n"}, want: []blk{ev("data: a\n\n", "a")}},
	{name: "CR", rule: ruleLines, chunks: []string{"data: a\r\r"}, want: []blk{ev("data: a\r\r", "a")}},
	{name: "CRLF", rule: ruleLines, chunks: []string{"data: a\r\n\r\n"}, want: []blk{ev("data: a\r\n\r\n", "a")}},
	{name: "mixed endings", rule: ruleLines, chunks: []string{"data: a\r\ndata: b\rdata: c\n\r\n"},
		want: []blk{ev("data: a\r\ndata: b\rdata: c\n\r\n", "a\nb\nc")}},
	{name: "CR|LF split across feeds inside a block", rule: ruleLines,
		chunks: []string{"data: a\r", "\ndata: b\r", "\n\r\n"},
		want:   []blk{ev("data: a\r\ndata: b\r\n\r\n", "a\nb")}},
	{name: "CR then lone LF feeds is one terminator, not a blank line", rule: ruleLines,
		chunks: []string{"data: a\r", "\n", "data: b\n", "\n"},
		want:   []blk{ev("data: a\r\ndata: b\n\n", "a\nb")}},
	{name: "CR ending a block, its LF goes with the next block", rule: ruleLines,
		chunks: []string{"data: a\r\r", "\ndata: b\n\n"},
		want:   []blk{ev("data: a\r\r", "a"), ev("\ndata: b\n\n", "b")}},
	{name: "CR LF blank line in one feed stays whole", rule: ruleLines, chunks: []string{"data: a\r\r\ndata: b\n\n"},
		want: []blk{ev("data: a\r\r\n", "a"), ev("data: b\n\n", "b")}},
	{name: "CR ending a block, lone LF at end of stream", rule: ruleLines + "; " + ruleEOF,
		chunks: []string{"data: a\r\r", "\n"},
		want:   []blk{ev("data: a\r\r", "a"), {Raw: "\n"}}},

	// Byte order mark.
	{name: "BOM stripped, kept in Raw", rule: ruleBOM, chunks: []string{bomStr + "data: a\n\n"},
		want: []blk{ev(bomStr+"data: a\n\n", "a")}},
	{name: "BOM split across feeds", rule: ruleBOM, chunks: []string{"\xEF", "\xBB", "\xBFdata: a\n\n"},
		want: []blk{ev(bomStr+"data: a\n\n", "a")}},
	{name: "BOM before a comment", rule: ruleBOM, chunks: []string{bomStr + ": hi\n\n"},
		want: []blk{{Raw: bomStr + ": hi\n\n", Comments: 1}}},
	{name: "second BOM in a later block is part of the field name", rule: ruleBOM,
		chunks: []string{bomStr + "data: a\n\n" + bomStr + "data: b\n\n"},
		want:   []blk{ev(bomStr+"data: a\n\n", "a"), {Raw: bomStr + "data: b\n\n"}}},
	{name: "BOM on the second line of the first block not stripped", rule: ruleBOM,
		chunks: []string{bomStr + "data: a\n" + bomStr + "data: b\n\n"},
		want:   []blk{ev(bomStr+"data: a\n"+bomStr+"data: b\n\n", "a")}},
	{name: "only one leading BOM stripped", rule: ruleBOM, chunks: []string{bomStr + bomStr + "data: a\n\n"},
		want: []blk{{Raw: bomStr + bomStr + "data: a\n\n"}}},

	// Comments.
	{name: "keepalive comment", rule: ruleComment, chunks: []string{": ping\n\n"},
		want: []blk{{Raw: ": ping\n\n", Comments: 1}}},
	{name: "bare colons and comments", rule: ruleComment, chunks: []string{":\n:data: x\n\n"},
		want: []blk{{Raw: ":\n:data: x\n\n", Comments: 2}}},
	{name: "comment inside an event", rule: ruleComment, chunks: []string{"data: a\n: c\ndata: b\n\n"},
		want: []blk{{Raw: "data: a\n: c\ndata: b\n\n", Data: "a\nb", Dispatch: true, Comments: 1}}},

	// id.
	{name: "id-only block", rule: ruleID + "; " + ruleNoData, chunks: []string{"id: 7\n\n"},
		want: []blk{{Raw: "id: 7\n\n", ID: "7", HasID: true}}, lastIDs: []string{"7"}},
	{name: "id with NUL ignored", rule: ruleID, chunks: []string{"id: 1\n\nid: a\x00b\ndata: x\n\n"},
		want:    []blk{{Raw: "id: 1\n\n", ID: "1", HasID: true}, ev("id: a\x00b\ndata: x\n\n", "x")},
		lastIDs: []string{"1", "1"}},
	{name: "id with NUL does not clear an earlier id", rule: ruleID, chunks: []string{"id: 1\nid: \x00\n\n"},
		want: []blk{{Raw: "id: 1\nid: \x00\n\n", ID: "1", HasID: true}}},
	{name: "empty id resets last event ID", rule: ruleID, chunks: []string{"id: 1\n\nid:\n\n"},
		want:    []blk{{Raw: "id: 1\n\n", ID: "1", HasID: true}, {Raw: "id:\n\n", HasID: true}},
		lastIDs: []string{"1", ""}},
	{name: "last event ID persists across blocks", rule: ruleID, chunks: []string{"id: 1\ndata: a\n\ndata: b\n\n"},
		want:    []blk{{Raw: "id: 1\ndata: a\n\n", ID: "1", HasID: true, Data: "a", Dispatch: true}, ev("data: b\n\n", "b")},
		lastIDs: []string{"1", "1"}},
	{name: "last id of the block wins", rule: ruleID, chunks: []string{"id: 1\nid: 2\n\n"},
		want: []blk{{Raw: "id: 1\nid: 2\n\n", ID: "2", HasID: true}}},

	// retry.
	{name: "retry digits", rule: ruleRetry, chunks: []string{"retry: 1500\n\n"},
		want: []blk{{Raw: "retry: 1500\n\n", Retry: 1500, HasRetry: true}}},
	{name: "retry with a letter ignored", rule: ruleRetry, chunks: []string{"retry: 12a\n\n"},
		want: []blk{{Raw: "retry: 12a\n\n"}}},
	{name: "retry empty ignored", rule: ruleRetry, chunks: []string{"retry:\n\nretry\n\n"},
		want: []blk{{Raw: "retry:\n\n"}, {Raw: "retry\n\n"}}},
	{name: "retry signs, spaces, non-digits ignored", rule: ruleRetry, chunks: []string{"retry: -1\nretry: +1\nretry:  1\nretry: 1:\nretry: /\n\n"},
		want: []blk{{Raw: "retry: -1\nretry: +1\nretry:  1\nretry: 1:\nretry: /\n\n"}}},
	{name: "invalid retry keeps an earlier valid one", rule: ruleRetry, chunks: []string{"retry: 10\nretry: x\n\n"},
		want: []blk{{Raw: "retry: 10\nretry: x\n\n", Retry: 10, HasRetry: true}}},
	{name: "retry at MaxInt64 and one above", rule: ruleRetry, chunks: []string{"retry: 9223372036854775807\n\nretry: 9223372036854775808\n\n"},
		want: []blk{{Raw: "retry: 9223372036854775807\n\n", Retry: math.MaxInt64, HasRetry: true},
			{Raw: "retry: 9223372036854775808\n\n", Retry: math.MaxInt64, HasRetry: true}}},
	{name: "retry overflow clamped", rule: ruleRetry, chunks: []string{"retry: 99999999999999999999999\n\n"},
		want: []blk{{Raw: "retry: 99999999999999999999999\n\n", Retry: math.MaxInt64, HasRetry: true}}},

	// data and the colon.
	{name: "multi-line data joined with LF", rule: ruleData + "; " + ruleTrimLF, chunks: []string{"data: a\ndata: b\ndata: c\n\n"},
		want: []blk{ev("data: a\ndata: b\ndata: c\n\n", "a\nb\nc")}},
	{name: "data without colon is empty data", rule: ruleNoColon, chunks: []string{"data\n\n"},
		want: []blk{ev("data\n\n", "")}},
	{name: "two empty data lines", rule: ruleData + "; " + ruleTrimLF, chunks: []string{"data\ndata:\n\n"},
		want: []blk{ev("data\ndata:\n\n", "\n")}},
	{name: "data with trailing empty line", rule: ruleData + "; " + ruleTrimLF, chunks: []string{"data: a\ndata:\n\n"},
		want: []blk{ev("data: a\ndata:\n\n", "a\n")}},
	{name: "no space after colon", rule: ruleColon, chunks: []string{"data:a\n\n"}, want: []blk{ev("data:a\n\n", "a")}},
	{name: "only one leading space removed", rule: ruleColon, chunks: []string{"data:  a \n\n"},
		want: []blk{ev("data:  a \n\n", " a ")}},
	{name: "tab is not a space", rule: ruleColon, chunks: []string{"data:\ta\n\n"}, want: []blk{ev("data:\ta\n\n", "\ta")}},
	{name: "colon inside value kept", rule: ruleColon, chunks: []string{"data: a: b\n\n"}, want: []blk{ev("data: a: b\n\n", "a: b")}},
	{name: "priming event: empty data dispatches", rule: ruleData + "; " + ruleNoData, chunks: []string{"id: 0\ndata:\n\n"},
		want: []blk{{Raw: "id: 0\ndata:\n\n", ID: "0", HasID: true, Dispatch: true}}},
	{name: "data: with one space is empty data", rule: ruleColon, chunks: []string{"data: \n\n"}, want: []blk{ev("data: \n\n", "")}},

	// Unknown fields, event, field-name-only lines.
	{name: "unknown fields ignored", rule: ruleUnknown, chunks: []string{"foo: bar\nData: x\n data: y\ndata : z\ndata: a\n\n"},
		want: []blk{ev("foo: bar\nData: x\n data: y\ndata : z\ndata: a\n\n", "a")}},
	{name: "unknown-only block", rule: ruleUnknown, chunks: []string{"foo\n\n"}, want: []blk{{Raw: "foo\n\n"}}},
	{name: "event type", rule: ruleEvent, chunks: []string{"event: message\ndata: x\n\n"},
		want: []blk{{Raw: "event: message\ndata: x\n\n", Event: "message", Data: "x", Dispatch: true}}},
	{name: "last event type wins", rule: ruleEvent, chunks: []string{"event: a\nevent: b\ndata\n\n"},
		want: []blk{{Raw: "event: a\nevent: b\ndata\n\n", Event: "b", Dispatch: true}}},
	{name: "field names only", rule: ruleNoColon, chunks: []string{"event\nid\nretry\ndata\n\n"},
		want: []blk{{Raw: "event\nid\nretry\ndata\n\n", HasID: true, Dispatch: true}}},
	{name: "no data field: no dispatch", rule: ruleNoData, chunks: []string{"event: a\nid: 2\nretry: 5\n\n"},
		want: []blk{{Raw: "event: a\nid: 2\nretry: 5\n\n", Event: "a", ID: "2", HasID: true, Retry: 5, HasRetry: true}}},
	{name: "event is per block", rule: ruleNoData + "; " + ruleEvent, chunks: []string{"event: a\n\ndata: x\n\n"},
		want: []blk{{Raw: "event: a\n\n", Event: "a"}, ev("data: x\n\n", "x")}},

	// End of stream.
	{name: "End returns trailing block, never dispatches", rule: ruleEOF, chunks: []string{"data: a\n\ndata: b\n"},
		want: []blk{ev("data: a\n\n", "a"), {Raw: "data: b\n", Data: "b", Incomplete: true}}},
	{name: "End after CR-terminated line", rule: ruleEOF + "; " + ruleLines, chunks: []string{"id: 3\rdata: a\r"},
		want: []blk{{Raw: "id: 3\rdata: a\r", ID: "3", HasID: true, Data: "a", Incomplete: true}}},
	{name: "End with nothing pending", rule: ruleEOF, chunks: []string{"data: a\n\n"}, want: []blk{ev("data: a\n\n", "a")}},
	{name: "End on empty stream", rule: ruleEOF, chunks: []string{""}, want: nil},
}

func TestParserTable(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, lastIDs := collect(NewParser(0), strChunks(tc.chunks...)...)
			if !equalBlks(got, tc.want) {
				t.Errorf("rule: %s\ninput %q\ngot  %v\nwant %v", tc.rule, tc.chunks, got, tc.want)
			}
			if tc.lastIDs != nil && strings.Join(lastIDs, "|") != strings.Join(tc.lastIDs, "|") {
				t.Errorf("rule: %s\nLastEventID after each block: got %q, want %q", tc.rule, lastIDs, tc.lastIDs)
			}
			if in := strings.Join(tc.chunks, ""); rawConcat(got) != in {
				t.Errorf("concatenated Raw %q != input %q", rawConcat(got), in)
			}
			// The same blocks must come out whatever the chunking.
			whole, _ := collect(NewParser(0), []byte(strings.Join(tc.chunks, "")))
			bytewise, _ := collect(NewParser(0), chunksOf([]byte(strings.Join(tc.chunks, "")), 1)...)
			if c := canon(got); !equalBlks(canon(whole), c) || !equalBlks(canon(bytewise), c) {
				t.Errorf("chunking changed the blocks:\nfed as given %v\nwhole        %v\n1-byte       %v", got, whole, bytewise)
			}
		})
	}
}

// canon undoes the one documented way chunking shows in Raw (see the Parser
// doc): when a block ends with a CR that is the last byte of a chunk, the
// parser yields it at once and the LF completing that CRLF becomes the first
// byte of the next block's Raw (block.go: Raw includes "the LF of a CRLF whose
// CR ended the previous block"); fed in one piece, the CRLF stays whole. canon
// moves such LFs back and drops blocks left empty, so blocks from different
// chunkings can be compared byte for byte.
func canon(bs []blk) []blk {
	var out []blk
	for _, b := range bs {
		if n := len(out); n > 0 && !out[n-1].Partial && strings.HasSuffix(out[n-1].Raw, "\r") && strings.HasPrefix(b.Raw, "\n") {
			out[n-1].Raw += "\n"
			b.Raw = b.Raw[1:]
			if b == (blk{Incomplete: b.Incomplete}) {
				continue
			}
		}
		out = append(out, b)
	}
	return out
}

func equalBlks(a, b []blk) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Lone blank lines carry no fields; however the parser hands them out, they
// must not dispatch, and the events around them must be unaffected (§9.2.6
// "If the line is empty: Dispatch the event" with an empty data buffer returns
// without dispatching).
func TestParserBlankLines(t *testing.T) {
	in := "\n\r\n\rdata: a\n\n\n\r\r\ndata: b\r\r\n"
	got, _ := collect(NewParser(0), []byte(in))
	if rawConcat(got) != in {
		t.Fatalf("concatenated Raw %q != input %q", rawConcat(got), in)
	}
	var datas []string
	for _, b := range got {
		if b.Dispatch {
			datas = append(datas, b.Data)
		} else if strings.Trim(b.Raw, "\r\n") != "" || b != (blk{Raw: b.Raw, Incomplete: b.Incomplete}) {
			t.Errorf("blank-line block has fields: %v", b)
		}
	}
	if strings.Join(datas, "|") != "a|b" {
		t.Errorf("dispatched data %q, want [a b]", datas)
	}
}

// An unterminated last line is kept in the trailing block (§9.2.6: "Once the
// end of the file is reached, any pending data must be discarded"): it never
// dispatches, but its bytes are not lost.
func TestParserEndUnterminatedLine(t *testing.T) {
	for _, in := range []string{"data: a", "data: a\n\ndata: b", "data: a\r", ": x", bomStr, "\xEF\xBB"} {
		got, _ := collect(NewParser(0), chunksOf([]byte(in), 3)...)
		if rawConcat(got) != in {
			t.Errorf("%q: concatenated Raw %q", in, rawConcat(got))
		}
		last := got[len(got)-1]
		if !last.Incomplete || last.Dispatch {
			t.Errorf("%q: last block %v, want Incomplete and not Dispatch", in, last)
		}
	}
	if _, ok := NewParser(0).End(); ok {
		t.Errorf("End on a fresh parser returned a block")
	}
}

// An unterminated last line is not a line (§9.2.5: a line ends with CRLF, LF
// or CR; ABNF "end-of-line" is mandatory), so it is never processed as a
// field: a stream cut inside "id: 123" must not make "12" the last event ID a
// reconnecting client would resume from. (End may still parse it into the
// Incomplete block for display.) A complete "id" line does set the WHATWG
// last event ID buffer, dispatched or not.
func TestParserEndUnterminatedIDKeepsLastEventID(t *testing.T) {
	p := NewParser(0)
	collect(p, []byte("id: 1\ndata: a\n\nid: 12"))
	if got := string(p.LastEventID()); got != "1" {
		t.Errorf("LastEventID after a stream cut inside an id line = %q, want %q", got, "1")
	}
	p = NewParser(0)
	collect(p, []byte("id: 1\ndata: a\n\nid: 12\n"))
	if got := string(p.LastEventID()); got != "12" {
		t.Errorf("LastEventID after a complete id line = %q, want %q", got, "12")
	}
}

// IsComment recognises keepalives only (§9.2.6: comment lines are ignored).
func TestBlockIsComment(t *testing.T) {
	for in, want := range map[string]bool{
		": ping\n\n":           true,
		":\n:\n\n":             true,
		": ping\ndata: x\n\n":  false,
		": ping\nid: 1\n\n":    false,
		": ping\nretry: 1\n\n": false,
		": ping\nevent: e\n\n": false,
		"foo\n\n":              false,
	} {
		p := NewParser(0)
		p.Feed([]byte(in))
		b, ok := p.Next()
		if !ok {
			t.Fatalf("%q: no block", in)
		}
		if got := b.IsComment(); got != want {
			t.Errorf("%q: IsComment() = %v, want %v", in, got, want)
		}
	}
}

// Reset starts a new stream: the BOM is accepted again and nothing pending
// from the old stream leaks into the new one (§9.2.5 "stream = [ bom ] *event").
func TestParserReset(t *testing.T) {
	p := NewParser(0)
	got, _ := collect(p, []byte(bomStr+"data: a\n\n"))
	if !equalBlks(got, []blk{ev(bomStr+"data: a\n\n", "a")}) {
		t.Fatalf("first stream: %v", got)
	}
	p.Reset()
	p.Feed([]byte("data: half\n"))
	for _, ok := p.Next(); ok; _, ok = p.Next() {
	}
	p.Reset()
	got, _ = collect(p, []byte(bomStr+"data: b\n\n"))
	if !equalBlks(got, []blk{ev(bomStr+"data: b\n\n", "b")}) {
		t.Errorf("after Reset: %v", got)
	}
}

// The parser must not write into the caller's chunks.
func TestParserDoesNotModifyInput(t *testing.T) {
	in := []byte(bomStr + "id: 1\r\ndata: a\rdata: b\n\n: c\n\ndata: tail")
	orig := bytes.Clone(in)
	collect(NewParser(8), chunksOf(in, 5)...)
	collect(NewParser(0), in)
	if !bytes.Equal(in, orig) {
		t.Errorf("input modified: %q", in)
	}
}

// A block larger than MaxEventSize is passed on in fragments as its bytes
// arrive (block.go, Oversized); the block after it parses normally. The
// blank line still ends it (§9.2.6 "If the line is empty ... Dispatch").
func TestParserOversized(t *testing.T) {
	const max = 64
	big := "id: 9\nevent: e\ndata: " + strings.Repeat("x", 300) + "\r\ndata: y\r\n\r\n"
	next := "data: ok\n\n"
	in := []byte(big + next)
	for _, n := range []int{1, 2, 7, 16, 63, 64, 65, 100, len(in)} {
		got, _ := collect(NewParser(max), chunksOf(in, n)...)
		got = canon(got) // the LF of big's final CRLF may open the next block
		if len(got) < 2 {
			t.Fatalf("chunk %d: got %v", n, got)
		}
		frags, rest := got[:len(got)-1], got[len(got)-1]
		var raw strings.Builder
		for i, f := range frags {
			raw.WriteString(f.Raw)
			want := blk{Raw: f.Raw, Oversized: true, Partial: i < len(frags)-1}
			if f != want {
				t.Errorf("chunk %d: fragment %d = %v, want %v", n, i, f, want)
			}
			// Buffered bytes are bounded: a fragment holds at most the
			// limit plus the chunk that pushed the block over it.
			if len(f.Raw) > max+n+1 { // +1: canon may have moved an LF here
				t.Errorf("chunk %d: fragment %d has %d bytes > MaxEventSize+chunk = %d", n, i, len(f.Raw), max+n)
				break
			}
		}
		if raw.String() != big {
			t.Errorf("chunk %d: fragments join to %q,\nwant %q", n, raw.String(), big)
		}
		if want := ev(next, "ok"); rest != want {
			t.Errorf("chunk %d: block after oversized = %v, want %v", n, rest, want)
		}
		if rawConcat(got) != string(in) {
			t.Errorf("chunk %d: concatenated Raw != input", n)
		}
	}
}

// "Above which": a block of exactly MaxEventSize bytes is parsed normally,
// one byte more makes it oversized.
func TestParserOversizedBoundary(t *testing.T) {
	const max = 32
	exact := "data: " + strings.Repeat("a", max-8) + "\n\n"
	over := "data: " + strings.Repeat("a", max-7) + "\n\n"
	for _, n := range []int{1, 5, max} {
		got, _ := collect(NewParser(max), chunksOf([]byte(exact), n)...)
		if want := []blk{ev(exact, strings.Repeat("a", max-8))}; !equalBlks(got, want) {
			t.Errorf("chunk %d: %d-byte block: got %v", n, len(exact), got)
		}
		got, _ = collect(NewParser(max), chunksOf([]byte(over), n)...)
		if rawConcat(got) != over || len(got) == 0 {
			t.Fatalf("chunk %d: concatenated Raw %q != %q", n, rawConcat(got), over)
		}
		for _, b := range got {
			if !b.Oversized || b.Dispatch {
				t.Errorf("chunk %d: %d-byte block: %v, want Oversized", n, len(over), b)
			}
		}
	}
}

// An oversized block cut off by the end of the stream: no byte lost, no
// dispatch (§9.2.6 "any pending data must be discarded").
func TestParserOversizedAtEnd(t *testing.T) {
	in := []byte("data: ok\n\ndata: " + strings.Repeat("z", 200))
	for _, n := range []int{1, 16, 50, len(in)} {
		got, _ := collect(NewParser(40), chunksOf(in, n)...)
		if rawConcat(got) != string(in) {
			t.Errorf("chunk %d: concatenated Raw %q", n, rawConcat(got))
		}
		for _, b := range got[1:] {
			if b.Dispatch || len(b.Data) > 0 {
				t.Errorf("chunk %d: tail block %v dispatches or has data", n, b)
			}
		}
	}
}

// MaxEventSize < 0 means no limit; 0 means DefaultMaxEventSize.
func TestParserMaxEventSizeSettings(t *testing.T) {
	data := strings.Repeat("d", DefaultMaxEventSize+10)
	in := []byte("data: " + data + "\n\n")
	got, _ := collect(NewParser(-1), chunksOf(in, 32<<10)...)
	if len(got) != 1 || got[0].Data != data || !got[0].Dispatch {
		t.Errorf("unlimited parser: %d blocks, first Oversized=%v", len(got), got[0].Oversized)
	}
	got, _ = collect(NewParser(0), chunksOf(in, 32<<10)...)
	if rawConcat(got) != string(in) {
		t.Errorf("default parser: concatenated Raw != input")
	}
	for _, b := range got {
		if !b.Oversized || b.Dispatch {
			t.Errorf("default parser: block of %d bytes not Oversized", len(b.Raw))
		}
	}
}
