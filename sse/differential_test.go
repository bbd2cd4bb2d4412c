package sse

// Differential test against github.com/tmaxmax/go-sse v0.12.0 (sse.Read),
// comparing last event ID, event type and data of dispatched events.
//
// Known differences, all of them go-sse departing from WHATWG §9.2.6
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
//
//  1. go-sse yields an event for every block that had a data, event or valid
//     id field ("dirty"), so an id-only or event-only block comes out as an
//     event with empty Data. WHATWG: "If the data buffer is an empty string,
//     set the data buffer and the event type buffer to the empty string and
//     return" — no event. The test predicts those extra events from our
//     blocks (HasID, or an event field: the generator only writes non-empty
//     event values so len(Block.Event) > 0 tells) and checks them loosely.
//  2. go-sse strips a BOM at the start of its first non-blank block even when
//     blank lines came before it ("\n\uFEFFdata: x\n\n" dispatches "x");
//     WHATWG strips only a BOM that is the very first byte of the stream
//     (§9.2.5 "stream = [ bom ] *event"), after which "\uFEFFdata" is an
//     unknown field name. The generator puts a BOM only at the very start.
//
// Deliberate differences on our side, not compared: Block.ID is per block
// while go-sse's Event.LastEventID persists, so we compare go-sse's value
// with Parser.LastEventID() taken right after the block; go-sse has no
// notion of comments, Raw, retry (Read ignores it) or oversized blocks.

import (
	"bytes"
	"slices"
	"testing"

	gosse "github.com/tmaxmax/go-sse"
	"pgregory.net/rapid"
)

type diffEvent struct{ LastEventID, Type, Data string }

func goSSEEvents(t *rapid.T, in []byte) []diffEvent {
	var out []diffEvent
	for e, err := range gosse.Read(bytes.NewReader(in), nil) {
		if err != nil {
			t.Fatalf("go-sse: %v on %q", err, in)
		}
		out = append(out, diffEvent{e.LastEventID, e.Type, e.Data})
	}
	return out
}

func TestDifferentialGoSSE(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genStream(t, streamOpts{nonEmptyEvent: true, noStrayBOM: true})
		bs, lastIDs := collect(NewParser(-1), genChunks(t, in)...)

		var want []diffEvent // what go-sse should yield, predicted from our blocks
		var real []bool      // whether each of those is a WHATWG-dispatched event
		for i, b := range bs {
			if b.Incomplete || !(b.Dispatch || b.HasID || b.Event != "") {
				continue
			}
			want = append(want, diffEvent{lastIDs[i], b.Event, b.Data})
			real = append(real, b.Dispatch)
		}
		got := goSSEEvents(t, in)
		if len(got) != len(want) {
			t.Fatalf("input %q\ngo-sse yielded %d events %q\nwe predict %d %q\nblocks %v", in, len(got), got, len(want), want, bs)
		}
		for i := range got {
			if got[i] != want[i] {
				kind := "dispatched event"
				if !real[i] {
					kind = "go-sse-only event (difference 1)"
				}
				t.Fatalf("input %q\n%s %d: go-sse %q, ours %q", in, kind, i, got[i], want[i])
			}
		}
	})
}

// The dispatched events alone, without the prediction of go-sse's extra
// ones, on streams whose every id/event block also carries data: here both
// must agree exactly, event for event.
func TestDifferentialGoSSEDispatchedOnly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genStream(t, streamOpts{nonEmptyEvent: true, noStrayBOM: true})
		bs, lastIDs := collect(NewParser(0), in)
		var ours []diffEvent
		for i, b := range bs {
			if !b.Incomplete && !b.Dispatch && (b.HasID || b.Event != "") {
				return // a block go-sse would dispatch and WHATWG would not
			}
			if b.Dispatch {
				ours = append(ours, diffEvent{lastIDs[i], b.Event, b.Data})
			}
		}
		if got := goSSEEvents(t, in); !slices.Equal(got, ours) {
			t.Fatalf("input %q\ngo-sse %q\nours   %q", in, got, ours)
		}
	})
}
