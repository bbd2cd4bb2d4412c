package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httputil"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// A chunked body, well formed or mutated, read in random pieces through
// random buffers, decodes to the same data as net/http's chunked reader,
// and ends the same way: io.EOF after the last chunk, an error otherwise.
func TestDechunkerAgreesWithNetHTTP(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		body := chunkedBody(t)
		if rapid.Bool().Draw(t, "mutate") {
			body = mutate(t, body)
		}
		want, wantErr := readAllPieces(t, httputil.NewChunkedReader(&pieceReader{t: t, b: body, label: "std"}), "stdbuf")
		got, gotErr := readAllPieces(t, newDechunker(&pieceReader{t: t, b: body, label: "ours"}), "ourbuf")
		if !bytes.Equal(got, want) {
			t.Fatalf("data differs for %q:\n got %q (%v)\nwant %q (%v)", body, got, gotErr, want, wantErr)
		}
		if (gotErr == io.EOF) != (wantErr == io.EOF) {
			t.Fatalf("end differs for %q: got %v, want %v", body, gotErr, wantErr)
		}
	})
}

// chunkedBody draws a chunked encoding: chunks of random data with sizes in
// either case, leading zeros, extensions and trailing blanks, then the last
// chunk, maybe with trailers, maybe cut short.
func chunkedBody(t *rapid.T) []byte {
	var b bytes.Buffer
	for i := range rapid.IntRange(0, 8).Draw(t, "chunks") {
		data := rapid.SliceOfN(rapid.Byte(), 1, 600).Draw(t, fmt.Sprint("data", i))
		size := fmt.Sprintf("%x", len(data))
		if rapid.Bool().Draw(t, "upper") {
			size = strings.ToUpper(size)
		}
		size = strings.Repeat("0", rapid.IntRange(0, 3).Draw(t, "zeros")) + size
		b.WriteString(size + sizeSuffix(t) + "\r\n")
		b.Write(data)
		b.WriteString("\r\n")
	}
	b.WriteString("0" + sizeSuffix(t) + "\r\n")
	if rapid.Bool().Draw(t, "trailer") {
		b.WriteString("X-Trailer: 1\r\n")
	}
	b.WriteString("\r\n")
	out := b.Bytes()
	if rapid.Bool().Draw(t, "cut") {
		out = out[:rapid.IntRange(0, len(out)).Draw(t, "at")]
	}
	return out
}

func sizeSuffix(t *rapid.T) string {
	return rapid.SampledFrom([]string{"", "", ";ext", ";a=\"b c\"", " ", "\t;x", " ;x"}).Draw(t, "suffix")
}

// mutate changes, inserts or removes one byte, or pads a size line.
func mutate(t *rapid.T, b []byte) []byte {
	b = bytes.Clone(b)
	if len(b) == 0 {
		return []byte("\n")
	}
	at := rapid.IntRange(0, len(b)-1).Draw(t, "at")
	switch rapid.IntRange(0, 3).Draw(t, "how") {
	case 0:
		b[at] = rapid.SampledFrom([]byte("\r\n;0aZ \t")).Draw(t, "byte")
	case 1:
		b = append(b[:at], b[at+1:]...)
	case 2:
		b = append(b[:at], append([]byte{rapid.SampledFrom([]byte("\r\n;0")).Draw(t, "byte")}, b[at:]...)...)
	case 3:
		b = append([]byte("1;"+strings.Repeat("e", rapid.IntRange(4000, 4200).Draw(t, "pad"))+"\r\nx\r\n"), b...)
	}
	return b
}

// pieceReader returns b in pieces of random size.
type pieceReader struct {
	t     *rapid.T
	b     []byte
	label string
}

func (r *pieceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.b), rapid.IntRange(1, 700).Draw(r.t, r.label))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

func readAllPieces(t *rapid.T, r io.Reader, label string) ([]byte, error) {
	var out []byte
	for range 100000 {
		p := make([]byte, rapid.IntRange(1, 2048).Draw(t, label))
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err != nil {
			return out, err
		}
	}
	t.Fatalf("%s: no end after 100000 reads", label)
	return nil, nil
}

// Each malformed framing fails with an error that is not io.EOF, and the
// data before it is kept.
func TestDechunkerRejectsMalformedFraming(t *testing.T) {
	for _, tc := range []struct{ name, body, data string }{
		{"bare LF after the size", "3\nabc\r\n0\r\n\r\n", ""},
		{"CR inside the size line", "3\r;x\r\nabc\r\n0\r\n\r\n", ""},
		{"no CRLF after the data", "3\r\nabcd\r\n0\r\n\r\n", "abc"},
		{"not hex", "3\r\nabc\r\nz\r\n", "abc"},
		{"empty size", "\r\nabc", ""},
		{"17 hex digits", "00000000000000001\r\na\r\n", ""},
		{"size line too long", "1;" + strings.Repeat("e", maxChunkLine) + "\r\na\r\n0\r\n\r\n", ""},
		{"cut in the data", "5\r\nab", "ab"},
		{"cut before the last chunk", "1\r\na\r\n", "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := io.ReadAll(newDechunker(strings.NewReader(tc.body)))
			if err == nil || errors.Is(err, io.EOF) {
				t.Fatalf("err = %v, want a framing error", err)
			}
			if string(got) != tc.data {
				t.Fatalf("data = %q, want %q", got, tc.data)
			}
		})
	}
}

// A sender that pads one-byte chunks with long extensions is cut off.
func TestDechunkerBoundsFraming(t *testing.T) {
	chunk := "1;" + strings.Repeat("e", 1000) + "\r\nx\r\n"
	_, err := io.ReadAll(newDechunker(strings.NewReader(strings.Repeat(chunk, 40) + "0\r\n\r\n")))
	if !errors.Is(err, errChunkOverhead) {
		t.Fatalf("err = %v, want %v", err, errChunkOverhead)
	}
}

// A busy stream's read takes everything waiting, in one read of its
// source: 64 KiB of 256 B events come out of a single Read.
func TestDechunkerReadsInBulk(t *testing.T) {
	event := "data: " + strings.Repeat("x", 248) + "\n\n"
	var body strings.Builder
	for range 256 {
		fmt.Fprintf(&body, "%x\r\n%s\r\n", len(event), event)
	}
	src := &countingReader{r: strings.NewReader(body.String())}
	p := make([]byte, 128<<10)
	n, err := newDechunker(src).Read(p)
	if err != nil || n != 256*len(event) || src.reads != 1 {
		t.Fatalf("Read = %d, %v after %d reads of the source; want %d, nil after 1", n, err, src.reads, 256*len(event))
	}
}

type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}
