package main

import (
	"fmt"
	"io"
	"strings"
)

// report holds every run's figures: per workload, per route, one per
// round in order.
type report struct {
	cfg  config
	runs map[string]map[string][]figures
}

func newReport(cfg config) *report {
	return &report{cfg: cfg, runs: map[string]map[string][]figures{}}
}

func (r *report) add(wl, route string, f figures) {
	if r.runs[wl] == nil {
		r.runs[wl] = map[string][]figures{}
	}
	r.runs[wl][route] = append(r.runs[wl][route], f)
}

// stat is the median and range of one figure of route over the rounds.
func (r *report) stat(wl, route string, of func(figures) float64) spread {
	var v []float64
	for _, f := range r.runs[wl][route] {
		v = append(v, of(f))
	}
	return spreadOf(v)
}

// ratio is the median and range over the rounds of route's figure over
// base's figure in the same round.
func (r *report) ratio(wl, route, base string, of func(figures) float64) spread {
	rs, bs := r.runs[wl][route], r.runs[wl][base]
	var v []float64
	for i := range min(len(rs), len(bs)) {
		if b := of(bs[i]); b != 0 {
			v = append(v, of(rs[i])/b)
		}
	}
	return spreadOf(v)
}

func (s spread) times() string {
	if s.lo == s.hi {
		return fmt.Sprintf("%.2f×", s.med)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.med, s.lo, s.hi)
}

func (s spread) num(format string) string {
	if s.lo == s.hi {
		return fmt.Sprintf(format, s.med)
	}
	return fmt.Sprintf(format+" ("+format+"–"+format+")", s.med, s.lo, s.hi)
}

// write prints one Markdown table per workload.
func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "Medians of %d interleaved round(s); in brackets the range over the rounds (ratios: of the per-round ratios to pipe).\n", r.cfg.rounds)
	for _, wl := range r.cfg.workloads {
		if r.runs[wl.name] == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s\n\n", describe(wl, r.cfg))
		switch wl.kind {
		case "sat":
			r.writeSat(w, wl.name)
		case "post":
			r.writePost(w, wl.name)
		case "paced":
			r.writePaced(w, wl.name)
		}
	}
}

func describe(wl workload, cfg config) string {
	switch wl.kind {
	case "sat":
		return fmt.Sprintf("**%s**: %s events on %d GET stream(s), as fast as the upstream writes (%s timed)", wl.name, sizeName(wl.size), wl.streams, cfg.duration)
	case "post":
		return fmt.Sprintf("**%s**: %d clients, each making tools/call POSTs one after another, each answered with a stream of %d events of %d B (%s timed)", wl.name, wl.streams, postEvents, wl.size, cfg.duration)
	default:
		return fmt.Sprintf("**%s**: one GET stream of %d B events at 1,000 events/s; added = route − direct in the same round (%s timed)", wl.name, wl.size, cfg.paced)
	}
}

func sizeName(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

var (
	eventsPerSec  = func(f figures) float64 { return f.eventsPerSec }
	mbPerSec      = func(f figures) float64 { return f.mbPerSec }
	streamsPerSec = func(f figures) float64 { return f.streamsPerSec }
	cpuPerEvent   = func(f figures) float64 { return f.cpuPerEvent }
	cpuPerStream  = func(f figures) float64 { return f.cpuPerStream }
	p50           = func(f figures) float64 { return f.p50 }
	p99           = func(f figures) float64 { return f.p99 }
	cut           = func(f figures) float64 { return f.cut }
)

func (r *report) writeSat(w io.Writer, wl string) {
	fmt.Fprintln(w, "| route | events/s | MB/s | throughput × pipe | CPU µs/event | CPU × pipe | p50 latency ms | p99 latency ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, route := range r.cfg.routes {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", route,
			r.stat(wl, route, eventsPerSec).num("%.0f"), r.stat(wl, route, mbPerSec).num("%.1f"),
			r.ratio(wl, route, "pipe", eventsPerSec).times(),
			r.stat(wl, route, cpuPerEvent).num("%.1f"), r.ratio(wl, route, "pipe", cpuPerEvent).times(),
			r.stat(wl, route, func(f figures) float64 { return f.p50 / 1e3 }).num("%.2f"),
			r.stat(wl, route, func(f figures) float64 { return f.p99 / 1e3 }).num("%.2f"))
	}
}

func (r *report) writePost(w io.Writer, wl string) {
	fmt.Fprintln(w, "| route | streams/s | streams/s × pipe | CPU µs/stream | CPU × pipe | cut streams (all rounds) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, route := range r.cfg.routes {
		var cuts float64
		for _, f := range r.runs[wl][route] {
			cuts += cut(f)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.0f |\n", route,
			r.stat(wl, route, streamsPerSec).num("%.0f"), r.ratio(wl, route, "pipe", streamsPerSec).times(),
			r.stat(wl, route, cpuPerStream).num("%.0f"), r.ratio(wl, route, "pipe", cpuPerStream).times(), cuts)
	}
}

func (r *report) writePaced(w io.Writer, wl string) {
	added := func(route string, of func(figures) float64) []float64 {
		rs, ds := r.runs[wl][route], r.runs[wl]["direct"]
		var v []float64
		for i := range min(len(rs), len(ds)) {
			v = append(v, of(rs[i])-of(ds[i]))
		}
		return v
	}
	fmt.Fprintln(w, "| route | p50 µs | p99 µs | added p50 µs | added p99 µs | added p99 − pipe's µs | CPU µs/event |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	pipe99 := added("pipe", p99)
	for _, route := range append([]string{"direct"}, r.cfg.routes...) {
		row := []string{route, r.stat(wl, route, p50).num("%.0f"), r.stat(wl, route, p99).num("%.0f"), "", "", "", ""}
		if route != "direct" {
			a99 := added(route, p99)
			row[3] = spreadOf(added(route, p50)).num("%+.0f")
			row[4] = spreadOf(a99).num("%+.0f")
			var over []float64 // a ratio of two small tails swings wildly: the difference says more
			for i := range min(len(a99), len(pipe99)) {
				over = append(over, a99[i]-pipe99[i])
			}
			row[5] = spreadOf(over).num("%+.0f")
			row[6] = r.stat(wl, route, cpuPerEvent).num("%.1f")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}
