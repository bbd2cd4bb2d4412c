package sse

// Property tests (pgregory.net/rapid). Streams are generated line by line
// from the pieces WHATWG §9.2.6 distinguishes: the four known fields, comment
// lines, unknown field names, name-only lines, values with and without the
// optional leading space, CR/LF/CRLF terminators, blank lines and a BOM.

import (
	"math"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

type streamOpts struct {
	// nonEmptyEvent makes every "event" field carry a non-empty value, so
	// that len(Block.Event) > 0 tells whether a block had an event field
	// (used by the go-sse differential test).
	nonEmptyEvent bool
	// noStrayBOM keeps BOMs out of line starts after the first byte.
	noStrayBOM bool
}

var (
	valueBytes = []byte{'a', 'Z', '0', '7', ' ', ':', '\t', 0, 0xEF, 0xBB, 0xBF, 0xFF}
	digitBytes = []byte("0123456789")
	lineEnds   = []string{"\n", "\r", "\r\n"}
)

func bytesOf(alphabet []byte, minLen, maxLen int) *rapid.Generator[string] {
	return rapid.Map(rapid.SliceOfN(rapid.SampledFrom(alphabet), minLen, maxLen),
		func(b []byte) string { return string(b) })
}

// genLine draws one non-blank line, without its terminator.
func genLine(t *rapid.T, o streamOpts) string {
	names := []string{"data", "data", "id", "event", "retry", ":", "foo", "Data", "dat", "data "}
	if !o.noStrayBOM {
		names = append(names, bomStr+"data")
	}
	name := rapid.SampledFrom(names).Draw(t, "name")
	var value string
	switch {
	case name == "retry" && rapid.Bool().Draw(t, "digits"):
		value = bytesOf(digitBytes, 0, 22).Draw(t, "retry")
	case name == "event" && o.nonEmptyEvent:
		value = "e" + bytesOf(valueBytes, 0, 4).Draw(t, "event")
	default:
		value = bytesOf(valueBytes, 0, 6).Draw(t, "value")
	}
	if name == ":" { // comment
		return ":" + value
	}
	switch rapid.IntRange(0, 2).Draw(t, "form") {
	case 0:
		if !(name == "event" && o.nonEmptyEvent) {
			return name // name only: empty value
		}
		fallthrough
	case 1:
		return name + ": " + value
	}
	return name + ":" + value
}

// genStream draws a whole event stream.
func genStream(t *rapid.T, o streamOpts) []byte {
	var sb strings.Builder
	if rapid.IntRange(0, 3).Draw(t, "bom") == 0 {
		sb.WriteString(bomStr)
	}
	n := rapid.IntRange(0, 25).Draw(t, "lines")
	for range n {
		if rapid.IntRange(0, 3).Draw(t, "blank") != 0 {
			sb.WriteString(genLine(t, o))
		}
		sb.WriteString(rapid.SampledFrom(lineEnds).Draw(t, "eol"))
	}
	if rapid.IntRange(0, 4).Draw(t, "tail") == 0 {
		sb.WriteString(genLine(t, o)) // unterminated last line
	}
	return []byte(sb.String())
}

// genChunks cuts in into random pieces: 1-byte chunks, random cuts, or whole.
func genChunks(t *rapid.T, in []byte) [][]byte {
	switch rapid.IntRange(0, 2).Draw(t, "chunking") {
	case 0:
		return chunksOf(in, 1)
	case 1:
		cuts := rapid.SliceOfN(rapid.IntRange(0, len(in)), 0, 12).Draw(t, "cuts")
		slices.Sort(cuts)
		var out [][]byte
		prev := 0
		for _, c := range cuts {
			out = append(out, in[prev:c:c])
			prev = c
		}
		return append(out, in[prev:])
	}
	return [][]byte{in}
}

// dispatchedIDs lists LastEventID() after each dispatched block.
func dispatchedIDs(bs []blk, lastIDs []string) []string {
	var out []string
	for i, b := range bs {
		if b.Dispatch {
			out = append(out, lastIDs[i])
		}
	}
	return out
}

// (a) Chunking never changes the blocks (Raw up to the documented CR|LF
// split, see canon; every parsed field exactly).
func TestPropChunkingInvariant(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genStream(t, streamOpts{})
		chunks := genChunks(t, in)
		whole, wholeIDs := collect(NewParser(0), in)
		split, splitIDs := collect(NewParser(0), chunks...)
		if !equalBlks(canon(whole), canon(split)) {
			t.Fatalf("input %q\nchunks %q\nwhole %v\nsplit %v", in, chunks, whole, split)
		}
		if a, b := dispatchedIDs(whole, wholeIDs), dispatchedIDs(split, splitIDs); !slices.Equal(a, b) {
			t.Fatalf("input %q\nchunks %q\nLastEventID at dispatch: whole %q, split %q", in, chunks, a, b)
		}
	})
}

// (b) Concatenated Raw == input, whatever the chunking and MaxEventSize; and
// the flags stay consistent with each other and with the size bound.
func TestPropRawConcat(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genStream(t, streamOpts{})
		chunks := genChunks(t, in)
		limit := rapid.SampledFrom([]int{-1, 0, 1, 2, 5, 16, 40}).Draw(t, "max")
		bs, _ := collect(NewParser(limit), chunks...)
		if rawConcat(bs) != string(in) {
			t.Fatalf("max %d chunks %q\nconcatenated Raw %q\ninput            %q", limit, chunks, rawConcat(bs), in)
		}
		checkBlockInvariants(t, bs, limit, chunks)
	})
}

func checkBlockInvariants(t interface{ Fatalf(string, ...any) }, bs []blk, limit int, chunks [][]byte) {
	longest := 0
	for _, c := range chunks {
		longest = max(longest, len(c))
	}
	for i, b := range bs {
		switch {
		case b.Raw == "":
			t.Fatalf("block %d has empty Raw: %v", i, b)
		case b.Partial && !b.Oversized:
			t.Fatalf("block %d Partial without Oversized: %v", i, b)
		case b.Dispatch && (b.Oversized || b.Incomplete):
			t.Fatalf("block %d dispatches though oversized or incomplete: %v", i, b)
		case b.Oversized && (b.HasID || b.HasRetry || b.Event != "" || b.Data != ""):
			t.Fatalf("block %d oversized but has parsed fields: %v", i, b)
		case b.Incomplete && i != len(bs)-1:
			t.Fatalf("block %d Incomplete but not last", i)
		case limit > 0 && !b.Oversized && len(b.Raw) > limit:
			t.Fatalf("block %d has %d bytes > MaxEventSize %d but is not Oversized", i, len(b.Raw), limit)
		case limit > 0 && len(b.Raw) > limit+longest:
			t.Fatalf("block %d has %d bytes > MaxEventSize %d + longest chunk %d", i, len(b.Raw), limit, longest)
		}
	}
}

// (c) AppendEvent round-trips through the parser. Data is split at LF, CRLF
// and CR by the encoder and joined with LF by the parser (§9.2.6 "data":
// "append a single U+000A LINE FEED"), so CR and CRLF come back as LF.
func TestPropEncoderRoundTrip(t *testing.T) {
	safe := []byte{'a', 'Z', '9', ' ', ':', '\t', 0xEF, 0xBB, 0xBF}
	rapid.Check(t, func(t *rapid.T) {
		e := Event{
			ID:       bytesOf(safe, 0, 6).Draw(t, "id"),
			HasID:    rapid.Bool().Draw(t, "hasID"),
			Event:    bytesOf(safe, 0, 6).Draw(t, "event"),
			Data:     bytesOf(append([]byte{'\r', '\n', 0}, safe...), 0, 12).Draw(t, "data"),
			Retry:    rapid.Int64Range(0, math.MaxInt64).Draw(t, "retry"),
			HasRetry: rapid.Bool().Draw(t, "hasRetry"),
		}
		prefix := []byte(": x\n\n")
		out := AppendEvent(slices.Clone(prefix), e)
		if string(out[:len(prefix)]) != string(prefix) {
			t.Fatalf("AppendEvent overwrote dst: %q", out)
		}
		wire := out[len(prefix):]
		bs, _ := collect(NewParser(-1), genChunks(t, wire)...)
		bs = canon(bs)
		want := blk{
			Raw: string(wire), ID: e.ID, HasID: e.HasID || e.ID != "", Event: e.Event,
			Data:  strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(e.Data),
			Retry: e.Retry, HasRetry: e.HasRetry, Dispatch: true,
		}
		if !e.HasRetry {
			want.Retry = 0
		}
		if len(bs) != 1 || bs[0] != want {
			t.Fatalf("event %+v\nwire %q\ngot  %v\nwant %v", e, wire, bs, want)
		}
	})
}

// AppendComment writes a keepalive the parser sees as a comment block.
func TestPropCommentRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := bytesOf(valueBytes, 0, 8).Draw(t, "text")
		wire := AppendComment(nil, text)
		p := NewParser(0)
		p.Feed(wire)
		b, ok := p.Next()
		if !ok || string(b.Raw) != string(wire) || !b.IsComment() || b.Comments != 1 {
			t.Fatalf("comment %q: wire %q, block ok=%v %+v", text, wire, ok, b)
		}
	})
}
