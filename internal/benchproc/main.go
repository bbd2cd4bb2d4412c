// Command benchproc measures mcpscope as users run it: the built binary,
// each route in a process of its own on loopback, beside a plain
// httputil.ReverseProxy pipe, in front of a byte-level SSE upstream in a
// process of its own, with the load (the client) in this process.
//
//	go run ./internal/benchproc                      # every workload and route, 3 rounds
//	go run ./internal/benchproc -rounds 1 -duration 1s -workloads sat-16KiB-1,paced
//	go run ./internal/benchproc -cpuprofile /tmp/prof -routes headless -workloads sat-16KiB-1
//
// Rounds are interleaved: in every round each workload runs through every
// route once, the routes in an order that rotates from round to round, so
// whatever else a shared machine does hits the routes alike. The tables
// (Markdown, on stdout) give each route's median over the rounds and its
// ratio to pipe's in the same round: their median and range.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// roleEnv, when set, makes this program a child of the harness: the
// upstream or the pipe route. upstreamEnv is the pipe's upstream.
const (
	roleEnv     = "MCPSCOPE_BENCHPROC_ROLE"
	upstreamEnv = "MCPSCOPE_BENCHPROC_UPSTREAM"
)

func main() {
	switch os.Getenv(roleEnv) {
	case "upstream":
		os.Exit(serveUpstream())
	case "pipe":
		os.Exit(servePipe())
	}
	var cfg config
	var routes, workloads string
	flag.StringVar(&cfg.bin, "bin", "", "the mcpscope binary to measure (default: go build the module's root package into a temporary directory)")
	flag.StringVar(&routes, "routes", strings.Join(allRoutes, ","), "routes to measure, comma-separated; pipe is always measured, as the reference")
	flag.StringVar(&workloads, "workloads", "all", "workloads, comma-separated: "+strings.Join(workloadNames(), ", "))
	flag.IntVar(&cfg.rounds, "rounds", 3, "interleaved rounds (figures are their medians)")
	flag.DurationVar(&cfg.duration, "duration", 2*time.Second, "timed part of each saturated or POST run")
	flag.DurationVar(&cfg.paced, "paced", 3*time.Second, "timed part of each paced (1,000 events/s) run")
	flag.DurationVar(&cfg.warmup, "warmup", 500*time.Millisecond, "untimed start of each run")
	flag.DurationVar(&cfg.settle, "settle", 300*time.Millisecond, "pause before each run, so the previous run's processes quieten")
	flag.StringVar(&cfg.profileDir, "cpuprofile", "", "after the rounds, profile each route's process in one more run of each workload with perf record, into this directory (reports in *.txt)")
	flag.Parse()
	var err error
	if cfg.routes, err = pickRoutes(routes); err == nil {
		cfg.workloads, err = pickWorkloads(workloads)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchproc:", err)
		os.Exit(2)
	}
	go func() { // the tmux server is no child of ours: stop the routes on ^C too
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		stopAll()
		os.Exit(130)
	}()
	rep, err := bench(cfg, os.Stderr)
	if rep != nil {
		rep.write(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchproc:", err)
		os.Exit(1)
	}
}

// config is what to measure and how long.
type config struct {
	bin                     string
	routes                  []string // pipe first
	workloads               []workload
	rounds                  int
	duration, paced, warmup time.Duration
	settle                  time.Duration // pause before each run: the previous run's processes quieten
	profileDir              string
}

func workloadNames() []string {
	var names []string
	for _, w := range allWorkloads {
		names = append(names, w.name)
	}
	return names
}

func pickRoutes(list string) ([]string, error) {
	picked := []string{"pipe"}
	for r := range strings.SplitSeq(list, ",") {
		r = strings.TrimSpace(r)
		switch {
		case r == "" || r == "pipe" || slices.Contains(picked, r):
		case slices.Contains(allRoutes, r):
			picked = append(picked, r)
		default:
			return nil, fmt.Errorf("unknown route %q (routes: %s)", r, strings.Join(allRoutes, ", "))
		}
	}
	return picked, nil
}

func pickWorkloads(list string) ([]workload, error) {
	if list == "all" {
		return allWorkloads, nil
	}
	var picked []workload
	for name := range strings.SplitSeq(list, ",") {
		i := slices.IndexFunc(allWorkloads, func(w workload) bool { return w.name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("unknown workload %q (workloads: %s)", name, strings.Join(workloadNames(), ", "))
		}
		picked = append(picked, allWorkloads[i])
	}
	return picked, nil
}

// bench builds mcpscope (unless cfg.bin names it), starts the upstream and
// the routes, runs the rounds and, with cfg.profileDir, the profiles. It
// logs progress to logw and returns what it measured, also on an error.
func bench(cfg config, logw io.Writer) (*report, error) {
	dir, err := os.MkdirTemp("", "benchproc-")
	if err != nil {
		return nil, err
	}
	atStop(func() { os.RemoveAll(dir) })
	defer stopAll()
	if cfg.bin == "" {
		cfg.bin = filepath.Join(dir, "mcpscope")
		fmt.Fprintln(logw, "building mcpscope")
		if out, err := exec.Command("go", "build", "-o", cfg.bin, "github.com/mcpscope/mcpscope").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	up, upURL, err := startSelf("upstream")
	if err != nil {
		return nil, err
	}
	atStop(up.stop)
	// Every workload of every round gets fresh route processes, so no
	// workload sees state an earlier one left (sessions, operations,
	// memory): the figures do not depend on the order of the workloads.
	fresh := func() (map[string]*route, func(), error) {
		started := map[string]*route{"direct": {name: "direct", url: upURL, pid: up.cmd.Process.Pid}}
		var stops []func()
		stop := sync.OnceFunc(func() {
			for _, f := range stops {
				f()
			}
		})
		atStop(stop)
		for _, name := range cfg.routes {
			r, err := startRoute(name, cfg.bin, upURL, dir)
			if err != nil {
				stop()
				return nil, nil, err
			}
			stops = append(stops, r.stop)
			started[name] = r
		}
		return started, stop, nil
	}
	rep := newReport(cfg)
	for round := range cfg.rounds {
		for _, wl := range cfg.workloads {
			started, stop, err := fresh()
			if err != nil {
				return rep, err
			}
			for _, name := range rotate(routesOf(cfg, wl), round) {
				res, err := runOnce(cfg, wl, started[name], nil)
				if err != nil {
					stop()
					return rep, fmt.Errorf("round %d, %s through %s: %w", round+1, wl.name, name, err)
				}
				f := figuresOf(wl, res)
				rep.add(wl.name, name, f)
				fmt.Fprintf(logw, "round %d %-13s %-8s %9.0f events/s %7.1f MB/s  cpu %6.1f µs/event  p50 %8.0f µs  p99 %8.0f µs  streams/s %6.0f  cut %.0f\n",
					round+1, wl.name, name, f.eventsPerSec, f.mbPerSec, f.cpuPerEvent, f.p50, f.p99, f.streamsPerSec, f.cut)
			}
			stop()
		}
	}
	if cfg.profileDir != "" {
		if err := profileAll(cfg, fresh, logw); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// routesOf are the routes wl runs through: the paced workload also runs
// direct, its latency baseline.
func routesOf(cfg config, wl workload) []string {
	if wl.kind == "paced" {
		return append([]string{"direct"}, cfg.routes...)
	}
	return cfg.routes
}

func rotate(s []string, n int) []string {
	n %= len(s)
	return append(slices.Clone(s[n:]), s[:n]...)
}

// runOnce runs wl through r once, after cfg.settle. The record route's
// recording is emptied first: saturated 16 KiB runs write gigabytes.
func runOnce(cfg config, wl workload, r *route, during func()) (result, error) {
	if r.record != "" {
		os.Truncate(r.record, 0)
	}
	time.Sleep(cfg.settle)
	dur := cfg.duration
	if wl.kind == "paced" {
		dur = cfg.paced
	}
	return run(wl, r.url, r.pid, cfg.warmup, dur, during)
}

// stops are what stopAll undoes, last first: the routes, the upstream,
// the temporary directory.
var stops struct {
	sync.Mutex
	fs []func()
}

func atStop(f func()) {
	stops.Lock()
	defer stops.Unlock()
	stops.fs = append(stops.fs, f)
}

// stopAll runs the registered stops once each, the last registered first.
func stopAll() {
	stops.Lock()
	fs := stops.fs
	stops.fs = nil
	stops.Unlock()
	for _, f := range slices.Backward(fs) {
		f()
	}
}
