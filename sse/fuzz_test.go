package sse

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParser feeds the input whole and split in two at a fuzzed position and
// checks: no panic, concatenated Raw == input, the same blocks either way (up
// to the documented CR|LF split, see canon), consistent flags, and the
// caller's bytes left untouched. A second pass with a tiny MaxEventSize
// exercises the oversized path, where only Raw and the flags are checked.
func FuzzParser(f *testing.F) {
	for _, tc := range parseCases {
		in := strings.Join(tc.chunks, "")
		f.Add([]byte(in), uint16(len(tc.chunks[0])))
	}
	for _, s := range []string{
		"", "\r", "\n", "\r\n", "\r\r\n\n", bomStr, "\xEF\xBB", bomStr + "\r\n",
		"data: a\r\r\ndata: b\r\n\r\n",
		"event: message\nid: 1\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n",
		": ping\n\n: ping\r\n\r\n",
		"id: a\x00b\ndata\n\nretry: 99999999999999999999\ndata:  x\n\n",
		"data: " + strings.Repeat("x", 100) + "\n\ndata: y\n\n",
	} {
		for cut := range min(len(s)+1, 4) {
			f.Add([]byte(s), uint16(cut))
		}
	}
	// An oversized block whose first bytes were buffered before it grew past
	// the limit, cut off by the end of the stream.
	f.Add([]byte("data: ok\n\ndata: "+strings.Repeat("y", 40)), uint16(13))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		at := int(cut) % (len(in) + 1)
		orig := bytes.Clone(in)
		chunks := [][]byte{in[:at:at], in[at:]}

		whole, _ := collect(NewParser(0), in)
		split, _ := collect(NewParser(0), chunks...)
		for name, bs := range map[string][]blk{"whole": whole, "split": split} {
			if rawConcat(bs) != string(in) {
				t.Fatalf("%s: concatenated Raw %q != input %q (cut %d)", name, rawConcat(bs), in, at)
			}
		}
		if !equalBlks(canon(whole), canon(split)) {
			t.Fatalf("input %q cut %d\nwhole %v\nsplit %v", in, at, whole, split)
		}
		checkBlockInvariants(t, whole, 0, [][]byte{in})
		checkBlockInvariants(t, split, 0, chunks)

		small, _ := collect(NewParser(8), chunks...)
		if rawConcat(small) != string(in) {
			t.Fatalf("MaxEventSize 8: concatenated Raw %q != input %q (cut %d)", rawConcat(small), in, at)
		}
		checkBlockInvariants(t, small, 8, chunks)

		if !bytes.Equal(in, orig) {
			t.Fatalf("parser modified its input: %q, was %q", in, orig)
		}
	})
}
