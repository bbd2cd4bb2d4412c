package record

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/mcpscope/mcpscope/proxy"
)

// stdLine is what encoding/json writes for v with HTML escaping off, and
// then the C1 controls and bidirectional overrides escaped as \uXXXX (the
// one thing the line encoder does beyond it).
func stdLine(t interface{ Fatal(...any) }, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return escapeLikeRecord(buf.Bytes())
}

// escapeLikeRecord escapes U+0080–U+009F, U+202A–U+202E and
// U+2066–U+2069 in encoding/json's output (valid UTF-8).
func escapeLikeRecord(b []byte) []byte {
	var out []byte
	for _, r := range string(b) {
		if r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

// arbitraryText draws strings that exercise every escaping case: control
// characters, quotes, backslashes, multi-byte runes, U+2028/U+2029,
// invalid UTF-8 (a lone continuation byte, a cut rune), and runs long
// enough for the eight-byte scan.
func arbitraryText() *rapid.Generator[string] {
	piece := rapid.SampledFrom([]string{"a", "xxxxxxxxxxxxxxxx", `"`, `\`, "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "☃", "\u2028", "\u2029", "😀", "\x80", "\xe2\x98", "\xff", "<&>", " ", "{}",
		"\u0080", "\u0085", "\u009b", "\u009f", "\u00a0", "\u202a", "\u202e", "\u202f", "\u2066", "\u2069", "\u206a"})
	return rapid.Custom(func(t *rapid.T) string {
		return strings.Join(rapid.SliceOfN(piece, 0, 40).Draw(t, "pieces"), "")
	})
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(arbitraryText(), rapid.String(), rapid.StringN(0, 64, -1)).Draw(t, "s")
		got, exact := appendString([]byte("prefix"), s)
		want := append([]byte("prefix"), bytes.TrimSuffix(stdLine(t, s), []byte("\n"))...)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
		if exact != utf8.ValidString(s) {
			t.Fatalf("appendString(%q): exact %v, but valid UTF-8 is %v", s, exact, utf8.ValidString(s))
		}
		var back string
		if err := json.Unmarshal(got[len("prefix"):], &back); err != nil {
			t.Fatal(err)
		}
		if exact && back != s {
			t.Fatalf("%q read back as %q", s, back)
		}
	})
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain ascii text", `a "quoted" \ path`, "line\nbreak\x00\x1f", "é☃\u2028\u2029😀", "\xff\xfe cut \xe2\x98", strings.Repeat("x", 70) + `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, exact := appendString(nil, s)
		if want := bytes.TrimSuffix(stdLine(t, s), []byte("\n")); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
		if exact != utf8.ValidString(s) {
			t.Fatalf("appendString(%q): exact %v", s, exact)
		}
	})
}

// TestLineEncoderMatchesEncodingJSON: without body_at, a line is exactly
// what encoding/json writes (and the --headless output stays so), but for
// the invisible characters it escapes too.
func TestLineEncoderMatchesEncodingJSON(t *testing.T) {
	if !obsCodec.exact {
		t.Fatalf("the field table falls back to encoding/json for every line: %s", obsCodec.unhandled)
	}
	rapid.Check(t, func(t *rapid.T) {
		o := genObservation(t)
		if rapid.Bool().Draw(t, "arbitrary text") {
			text := arbitraryText()
			o.Body, o.Raw, o.Method, o.Reason = text.Draw(t, "body"), text.Draw(t, "raw"), text.Draw(t, "method"), text.Draw(t, "reason")
			o.Flags = rapid.SliceOfN(text, 0, 3).Draw(t, "flags")
		}
		o.ID = proxy.RawJSON(rapid.SampledFrom([]string{"", "0", "-0", "17", "-3.5e2", "1 ", ` "a b" `, `"é\"x"`, `{"k": [1, 2]}`, "null", "007"}).Draw(t, "id"))
		e := newLineEncoder(false)
		got, err := e.appendLine([]byte("{}\n"), o)
		var std bytes.Buffer
		enc := json.NewEncoder(&std)
		enc.SetEscapeHTML(false)
		if stdErr := enc.Encode(o); stdErr != nil || err != nil {
			if stdErr == nil || err == nil || string(got) != "{}\n" {
				t.Fatalf("encoding/json: %v; appendLine: %v, leaving %q", stdErr, err, got)
			}
			return
		}
		got = takeExact(t, got, "raw", o.Raw)
		got = takeExact(t, got, "body", o.Body)
		if want := append([]byte("{}\n"), escapeLikeRecord(std.Bytes())...); !bytes.Equal(got, want) {
			t.Fatalf("line differs:\n got %s\nwant %s", got, want)
		}
	})
}

// takeExact checks that line carries NAME_b64 with s's exact bytes when s
// is not valid UTF-8 (and not otherwise), and returns line without it.
func takeExact(t *rapid.T, line []byte, name, s string) []byte {
	m := regexp.MustCompile(`,"` + name + `_b64":"([A-Za-z0-9+/=]*)"`).FindSubmatchIndex(line)
	if (m != nil) == utf8.ValidString(s) {
		t.Fatalf("%s_b64 written: %v, for %q", name, m != nil, s)
	}
	if m == nil {
		return line
	}
	if b, err := base64.StdEncoding.DecodeString(string(line[m[2]:m[3]])); err != nil || string(b) != s {
		t.Fatalf("%s_b64 gives %q, %v; want %q", name, b, err, s)
	}
	return append(line[:m[0]:m[0]], line[m[1]:]...)
}

// TestLineEncoderEveryField sets every field of Observation, whatever
// fields it has today, and compares with encoding/json: a field added to
// Observation is written, and written the same way.
func TestLineEncoderEveryField(t *testing.T) {
	var o Observation
	fill(reflect.ValueOf(&o).Elem(), 1)
	o.ID = `"id-1"`
	o.Time = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	got, err := newLineEncoder(false).appendLine(nil, &o)
	if err != nil {
		t.Fatal(err)
	}
	if want := stdLine(t, &o); !bytes.Equal(got, want) {
		t.Fatalf("line differs:\n got %s\nwant %s", got, want)
	}
	var zero Observation
	if got, want := mustLine(t, &zero), stdLine(t, &zero); !bytes.Equal(got, want) {
		t.Fatalf("zero observation:\n got %s\nwant %s", got, want)
	}
}

func mustLine(t *testing.T, o *Observation) []byte {
	t.Helper()
	line, err := newLineEncoder(false).appendLine(nil, o)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// fill sets v and everything under it to non-zero values.
func fill(v reflect.Value, n int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s\"" + strings.Repeat("x", n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(n) + 0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), n+1)
		fill(v.Index(1), n+2)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n+1)
		fill(e, n+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(n)*1000, int64(n)).UTC()))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n+i)
			}
		}
	}
}

// TestBodyWrittenOnce: a recorded single-line event carries its body's
// bytes once, as offsets into raw, and reads back with the same body (and
// raw bytes that are not UTF-8 as they were).
func TestBodyWrittenOnce(t *testing.T) {
	body := `{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"` + strings.Repeat(`\"q\" `, 2000) + `"}}`
	raw := "event: message\nid: 7\ndata: " + body + "\n\n"
	for _, tc := range []struct {
		name   string
		o      *Observation
		bodyAt bool
	}{
		{"shared", &Observation{Type: proxy.TypeSSEEvent, Raw: raw, Body: raw[27 : 27+len(body)]}, true},
		{"copied", &Observation{Type: proxy.TypeSSEEvent, Raw: raw, Body: strings.Clone(body)}, true},
		{"not in raw", &Observation{Type: proxy.TypeSSEEvent, Raw: "data: {}\n\n", Body: body}, false},
		{"raw not UTF-8", &Observation{Type: proxy.TypeSSEEvent, Raw: raw + "\xff", Body: body}, false},
		{"multi-line data", &Observation{Type: proxy.TypeSSEEvent, Raw: "data: {\"a\":\ndata: 1}\n\n", Body: "{\"a\":\n1}"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := record(t, nil, tc.o)
			if has := bytes.Contains(file, []byte(`"body_at":`)); has != tc.bodyAt {
				t.Errorf("body_at written: %v, want %v:\n%.300s", has, tc.bodyAt, file)
			}
			if tc.bodyAt && len(file) > len(stdLine(t, tc.o))-len(stdLine(t, tc.o.Body))+200 {
				t.Errorf("the recording is %d bytes: the body was written twice", len(file))
			}
			got := readAll(t, file)
			if len(got) != 1 || got[0].Body != tc.o.Body || got[0].Raw != tc.o.Raw {
				t.Fatalf("read back %d observations, body %.80q raw %.80q", len(got), got[0].Body, got[0].Raw)
			}
		})
	}
}

// TestRecordRedacts: redaction applies to what Record writes, body_at or
// not.
func TestRecordRedacts(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{"password":"hunter2"}}}`
	raw := "id: 1\ndata: " + body + "\n\n"
	o := &Observation{Type: proxy.TypeSSEEvent, Raw: raw, Body: raw[12 : 12+len(body)],
		HTTP: &proxy.HTTPExchange{URL: "http://u", RequestHeaders: map[string][]string{"Authorization": {"Bearer abc"}}}}
	file := record(t, NewRedactor([]string{"params.arguments.password"}), o)
	for _, secret := range []string{"hunter2", "Bearer abc"} {
		if bytes.Contains(file, []byte(secret)) {
			t.Errorf("the recording holds %s:\n%s", secret, file)
		}
	}
	got := readAll(t, file)
	if len(got) != 1 || !strings.Contains(got[0].Body, `"password":"[redacted]"`) || !strings.Contains(got[0].Raw, got[0].Body) {
		t.Fatalf("read back %+v", got)
	}
}

func TestReadVersions(t *testing.T) {
	v1 := "{\"format\":\"mcpscope-recording\",\"version\":1}\n{\"seq\":1,\"type\":\"sse_event\",\"time\":\"2026-01-15T10:00:00Z\",\"body\":\"{}\",\"raw\":\"data: {}\\n\\n\"}\n"
	got := readAll(t, []byte(v1))
	if len(got) != 1 || got[0].Body != "{}" {
		t.Fatalf("version 1: read %+v", got)
	}
	for _, tc := range []struct{ file, want string }{
		{`{"format":"mcpscope-recording","version":3}` + "\n", "line 1: a recording of format version 3"},
		{`{"seq":1,"type":"sse_event","time":"2026-01-15T10:00:00Z","raw":"data: {}","body_at":[6,9]}` + "\n", "line 1: body_at [6,9] does not fit the 8 raw bytes"},
		{`{"seq":1,"type":"sse_event","time":"2026-01-15T10:00:00Z","raw":"data: {}","body_at":[7,6]}` + "\n", "body_at [7,6]"},
		{`{"seq":1,"type":"sse_event","time":"2026-01-15T10:00:00Z","raw":"data: {}","body":"{}","body_at":[6,8]}` + "\n", "or body is given too"},
		{`{"not":"a recording"}` + "\n", "line 1: not an observation"},
		{`{"format":"some-other-tool","version":1}` + "\n", "line 1: not an observation"},
		{"null\n", "line 1: not an observation"},
	} {
		err := Read(strings.NewReader(tc.file+"{}\n"), func(*Observation) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%s): %v, want an error with %q", tc.file, err, tc.want)
		}
	}
}

// TestLosslessBoundCountsSharedBytesOnce: the recorder's byte bound counts
// a body that shares its event's memory once, so a recording of large
// single-line events is not cut off at half the bound.
func TestLosslessBoundCountsSharedBytesOnce(t *testing.T) {
	body := `{"jsonrpc":"2.0","method":"m","params":{"x":"` + strings.Repeat("x", 1000) + `"}}`
	raw := "data: " + body + "\n\n"
	shared := &Observation{Raw: raw, Body: raw[6 : 6+len(body)]}
	copied := &Observation{Raw: raw, Body: strings.Clone(body)}
	if s, c := shared.Footprint(), copied.Footprint(); c-s != len(body) {
		t.Errorf("footprint %d shared, %d copied: want the body counted only once when shared", s, c)
	}
	if n := (&Observation{Body: body}).Footprint(); n < len(body) {
		t.Errorf("footprint %d of a message without raw bytes, want its body counted", n)
	}
}

// record writes obs through Record and returns the file.
func record(t *testing.T, r *Redactor, obs ...*Observation) []byte {
	t.Helper()
	bus := proxy.NewBus()
	sub := bus.SubscribeLossless(LosslessBuffer)
	for _, o := range obs {
		bus.Publish(o)
	}
	sub.Close()
	var file bytes.Buffer
	if err := Record(context.Background(), sub, &file, NewHeader("http://u", r != nil), r); err != nil {
		t.Fatal(err)
	}
	return file.Bytes()
}

func readAll(t *testing.T, file []byte) []*Observation {
	t.Helper()
	var got []*Observation
	if err := Read(bytes.NewReader(file), func(o *Observation) error { got = append(got, o); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestExportIsVersion1: an export writes every body in full under a
// version 1 header, so an older mcpscope reads it whole.
func TestExportIsVersion1(t *testing.T) {
	raw := "id: 1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"m\"}\n\n"
	o := &Observation{Seq: 1, Type: proxy.TypeSSEEvent, Raw: raw, Body: raw[12 : len(raw)-2]}
	var buf bytes.Buffer
	if err := (Exporter{Redactor: &Redactor{}}).WriteJSONL(&buf, []*Observation{o}); err != nil {
		t.Fatal(err)
	}
	head, line, _ := strings.Cut(buf.String(), "\n")
	if !strings.HasPrefix(head, `{"format":"mcpscope-recording","version":1,`) || strings.Contains(line, "body_at") || !strings.Contains(line, `"body":"{\"jsonrpc\"`) {
		t.Errorf("export:\n%s", buf.String())
	}
}

// TestRecordStopsOnAnUnwritableObservation: one that JSON cannot hold (a
// year past 9999) ends the recording with an error naming it, after the
// lines before it.
func TestRecordStopsOnAnUnwritableObservation(t *testing.T) {
	bus := proxy.NewBus()
	sub := bus.SubscribeLossless(LosslessBuffer)
	bus.Publish(&Observation{Type: proxy.TypeMessage, Time: time.Unix(1, 0).UTC(), Body: "{}"})
	bus.Publish(&Observation{Type: proxy.TypeMessage, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Body: "{}"})
	sub.Close()
	var file bytes.Buffer
	err := Record(context.Background(), sub, &file, NewHeader("", false), nil)
	if err == nil || !strings.Contains(err.Error(), "encoding observation 2") || !strings.Contains(err.Error(), "year") {
		t.Fatalf("Record: %v, want an error naming observation 2 and its year", err)
	}
	if got := readAll(t, file.Bytes()); len(got) != 1 {
		t.Errorf("read %d observations, want the one before", len(got))
	}
}
