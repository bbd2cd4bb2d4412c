package recdiff

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Report is the comparison of two summaries, A and B.
type Report struct {
	Lists   []ListReport  `json:"lists"`
	Drift   DriftReport   `json:"drift"`
	Calls   CallsReport   `json:"calls"`
	Latency []LatencyDiff `json:"latency"`
	// NotesA and NotesB say what each summary left out or could not read.
	NotesA []string `json:"notes_a,omitempty"`
	NotesB []string `json:"notes_b,omitempty"`
}

// ListReport compares the first complete listing of a kind in A and B.
type ListReport struct {
	List    List     `json:"list"`
	ListedA bool     `json:"listed_a"` // A has a complete listing
	ListedB bool     `json:"listed_b"`
	CountA  int      `json:"count_a"` // items listed
	CountB  int      `json:"count_b"`
	Changes []Change `json:"changes,omitempty"` // from A's listing to B's
}

// DriftReport lists the listings that changed within a session, in A and
// in B. Same is whether both show the same changes, announced alike
// (whatever the sessions, times and order): drift that both recordings
// share is no difference between them.
type DriftReport struct {
	A    []Drift `json:"a"`
	B    []Drift `json:"b"`
	Same bool    `json:"same"`
}

// CallsReport compares the answers to the same calls.
type CallsReport struct {
	Matched int        `json:"matched"`          // calls made in both A and B
	Differ  []CallDiff `json:"differ,omitempty"` // the first MaxListed whose answers differ
	// CountDiffer counts all the calls whose answers differ.
	CountDiffer int       `json:"count_differ"`
	OnlyA       []CallRef `json:"only_a,omitempty"` // calls A made and B did not (the first MaxListed)
	OnlyB       []CallRef `json:"only_b,omitempty"`
	// CountOnlyA and CountOnlyB count all of them.
	CountOnlyA int `json:"count_only_a"`
	CountOnlyB int `json:"count_only_b"`
}

// MaxListed bounds the calls a report lists in each of its lists.
const MaxListed = 50

// CallDiff is a call whose answers differ.
type CallDiff struct {
	Call       string `json:"call"`       // method, name and params, cut (peer text)
	Occurrence int    `json:"occurrence"` // 1 for the first call of its kind, ...
	SeqA       uint64 `json:"seq_a"`      // the requests' observations
	SeqB       uint64 `json:"seq_b"`
	// Reason is set where Details cannot say: "no answer in A", "no
	// answer in B", "answers too large to show where they differ".
	Reason  string       `json:"reason,omitempty"`
	Details []Difference `json:"details,omitempty"` // paths from the message: result.content.0.text
}

// CallRef is a call one side made and the other did not.
type CallRef struct {
	Call       string `json:"call"`
	Occurrence int    `json:"occurrence"`
	Seq        uint64 `json:"seq"`
}

// LatencyDiff sets the latencies of one method or tool side by side.
type LatencyDiff struct {
	Name     string        `json:"name"` // a method, or "tools/call <tool>"
	A        LatencyStats  `json:"a"`
	B        LatencyStats  `json:"b"`
	DeltaP50 time.Duration `json:"delta_p50_ns"` // B's minus A's (0 when a side has none)
	DeltaP95 time.Duration `json:"delta_p95_ns"`
}

// Differs reports whether A and B differ: a listing differs (or only one
// side listed it), drift is not the same, an answer differs, or a call
// was made on one side only. Latencies never count: they differ between
// any two runs.
func (r *Report) Differs() bool {
	for _, l := range r.Lists {
		if l.ListedA != l.ListedB || len(l.Changes) > 0 {
			return true
		}
	}
	return !r.Drift.Same || r.Calls.CountDiffer > 0 || r.Calls.CountOnlyA > 0 || r.Calls.CountOnlyB > 0
}

// Compare sets two summaries side by side.
func Compare(a, b *Summary) *Report {
	r := &Report{}
	for _, l := range Lists {
		fa, fb := a.firsts[l], b.firsts[l]
		if fa == nil && fb == nil {
			continue
		}
		lr := ListReport{List: l, ListedA: fa != nil, ListedB: fb != nil}
		la, lb := &listing{}, &listing{}
		if fa != nil {
			la, lr.CountA = fa.listing, len(fa.listing.items)
		}
		if fb != nil {
			lb, lr.CountB = fb.listing, len(fb.listing.items)
		}
		if fa != nil && fb != nil {
			lr.Changes = compareListings(l, la, lb)
		}
		r.Lists = append(r.Lists, lr)
	}
	r.Drift = DriftReport{A: nonNil(a.drifts), B: nonNil(b.drifts), Same: slices.Equal(driftSignatures(a.drifts), driftSignatures(b.drifts))}
	r.Lists = nonNil(r.Lists)
	r.Calls = compareCalls(a, b)
	r.Latency = nonNil(compareLatencies(a.latency, b.latency))
	for _, s := range []*Summary{a, b} {
		for _, k := range s.latency.order {
			if n := s.latency.sampled(k); n != "" {
				s.note(n)
			}
		}
	}
	r.NotesA, r.NotesB = a.Notes(), b.Notes()
	return r
}

// driftSignatures are the drifts' lists, changes and whether they were
// announced, sorted: what two
// recordings must share for their drift to be the same.
func driftSignatures(ds []Drift) []string {
	sigs := make([]string, len(ds))
	for i, d := range ds {
		sigs[i] = fmt.Sprintf("%s %v %d %s", d.List, d.Announced, d.CountChanges, encode(d.Changes))
	}
	sort.Strings(sigs)
	return sigs
}

// compareCalls meets A's calls with B's of the same key, in order of
// occurrence.
func compareCalls(a, b *Summary) CallsReport {
	var r CallsReport
	only := func(list *[]CallRef, count *int, sr *series, from int) {
		for i := from; i < len(sr.calls); i++ {
			*count++
			if len(*list) < MaxListed {
				*list = append(*list, CallRef{Call: sr.label, Occurrence: i + 1, Seq: sr.calls[i].seq})
			}
		}
	}
	for _, k := range a.order {
		sa, sb := a.calls[k], b.calls[k]
		if sb == nil {
			only(&r.OnlyA, &r.CountOnlyA, sa, 0)
			continue
		}
		n := min(len(sa.calls), len(sb.calls))
		for i := 0; i < n; i++ {
			r.Matched++
			if d, ok := compareAnswers(sa.label, i, &sa.calls[i], &sb.calls[i]); !ok {
				r.CountDiffer++
				if len(r.Differ) < MaxListed {
					r.Differ = append(r.Differ, d)
				}
			}
		}
		only(&r.OnlyA, &r.CountOnlyA, sa, n)
		only(&r.OnlyB, &r.CountOnlyB, sb, n)
	}
	for _, k := range b.order {
		if a.calls[k] == nil {
			only(&r.OnlyB, &r.CountOnlyB, b.calls[k], 0)
		}
	}
	return r
}

// compareAnswers compares the answers of one call in A and B; ok is true
// when they are the same (or neither side has one).
func compareAnswers(label string, i int, x, y *call) (d CallDiff, ok bool) {
	d = CallDiff{Call: label, Occurrence: i + 1, SeqA: x.seq, SeqB: y.seq}
	switch {
	case !x.answered && !y.answered:
		return d, true
	case !x.answered:
		d.Reason = "no answer in A"
	case !y.answered:
		d.Reason = "no answer in B"
	case x.digest == y.digest:
		return d, true
	case x.answer == "" || y.answer == "":
		d.Reason = "answers too large to show where they differ"
	default:
		d.Details = differences("", decodeCanonical(x.answer), decodeCanonical(y.answer))
	}
	return d, false
}

// compareLatencies sets A's and B's latencies side by side: A's methods
// in their order, then B's others.
func compareLatencies(a, b *latencies) []LatencyDiff {
	var out []LatencyDiff
	seen := map[string]bool{}
	for _, k := range append(slices.Clone(a.order), b.order...) {
		if seen[k] {
			continue
		}
		seen[k] = true
		d := LatencyDiff{Name: k, A: a.stats(k), B: b.stats(k)}
		if d.A.Count > 0 && d.B.Count > 0 {
			d.DeltaP50, d.DeltaP95 = d.B.P50-d.A.P50, d.B.P95-d.A.P95
		}
		out = append(out, d)
	}
	return out
}

// nonNil makes an empty list [] in JSON, not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
