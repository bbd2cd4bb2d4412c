package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// Proxies in a process of their own. In-process benchmarks charge a route
// the CPU of the whole process minus direct's, measured seconds apart on a
// shared machine, so the difference carries the noise of both runs and of
// the upstream and client sharing the proxy's garbage collector. Here the
// route runs in a child process (this test binary, started again with
// benchChildEnv set), as mcpscope runs in use, and reports its own CPU time:
// proxy CPU per event is measured, not derived.
const (
	benchChildEnv         = "MCPSCOPE_BENCH_CHILD"            // the route the child serves
	benchChildUpstreamEnv = "MCPSCOPE_BENCH_UPSTREAM"         // the upstream's base URL
	benchChildProfileEnv  = "MCPSCOPE_BENCH_CHILD_CPUPROFILE" // set by hand: each child writes a CPU profile to this path + "." + its route
	benchChildPrintEnv    = "MCPSCOPE_BENCH_CHILD_PRINT"      // set: mcpscope's subscriber encodes every observation as --headless does, to nowhere
)

// runBenchChild serves route in front of upstream on a loopback port. It
// prints "listening ADDR" on stdout, then answers one command per stdin
// line — "cpu": its user+system CPU time in ns, and its read and write
// system calls so far; "settle": collect garbage and return free memory
// to the system; "observed": the SSE event
// and stream_closed observations its subscriber counted; "rss": its
// resident memory, all and anonymous, in bytes; "memstats": its heap in
// use, heap kept but idle, stacks in use, the runtime's other memory, live
// heap and collections so far — and returns when stdin closes.
func runBenchChild(route, upstream string) int {
	u, err := url.Parse(upstream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 2
	}
	tr := proxy.NewTransport(0)
	var handler http.Handler
	var events, closed atomic.Int64
	switch route {
	case "reverseproxy":
		handler = &httputil.ReverseProxy{
			Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
			FlushInterval: -1,
			Transport:     tr,
			ErrorLog:      log.New(io.Discard, "", 0),
		}
	case "mcpscope":
		proxy.StopPoisoning() // a benchmark measures the proxy, not the tests' safety net
		p := proxy.New(u)
		p.Transport = tr
		if os.Getenv(benchChildPrintEnv) != "" {
			go printObservations(p.Bus.Subscribe(0), &events, &closed)
		} else {
			go countObservations(p.Bus.Subscribe(0), &events, &closed)
		}
		handler = p
	default:
		fmt.Fprintf(os.Stderr, "bench child: unknown route %q\n", route)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 2
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	if path := os.Getenv(benchChildProfileEnv); path != "" {
		if f, err := os.Create(path + "." + route); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	fmt.Printf("listening %s\n", ln.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "cpu":
			reads, writes, _ := ioSyscalls()
			fmt.Println(int64(cpuTime()), reads, writes)
		case "observed":
			fmt.Println(events.Load(), closed.Load())
		case "rss":
			all, anon := residentMemory()
			fmt.Println(all, anon)
		case "settle": // what an idle process comes to: the periodic collection has run and the scavenger returned the free pages
			runtime.GC()
			debug.FreeOSMemory()
			fmt.Println(0)
		case "heapprofile": // set by hand: MCPSCOPE_BENCH_CHILD_CPUPROFILE names where, as for CPU profiles
			if path := os.Getenv(benchChildProfileEnv); path != "" {
				if f, err := os.Create(path + ".heap." + route); err == nil {
					runtime.GC()
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			fmt.Println(0)
		case "memstats":
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			fmt.Println(m.HeapInuse, m.HeapIdle-m.HeapReleased, m.StackInuse, m.Sys-m.HeapSys-m.StackSys, m.HeapAlloc, m.NumGC)
		}
	}
	srv.Close()
	return 0
}

// childProxy is a route running in a child process.
type childProxy struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// newProcessRig starts an upstream serving h in this process and route in
// a child process in front of it, and points the rig's client at the
// child.
func newProcessRig(b testing.TB, route string, h http.Handler) (*rig, *childProxy) {
	b.Helper()
	r := newRig(b, "direct", h)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+route, benchChildUpstreamEnv+"="+r.URL)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := &childProxy{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	r.closers = append([]func(){c.stop}, r.closers...) // before the upstream closes
	addr, ok := strings.CutPrefix(c.line(b), "listening ")
	if !ok {
		b.Fatal("bench child did not say where it listens")
	}
	r.URL, r.mcpscope = "http://"+addr, false
	r.initialize(b)
	return r, c
}

// line reads the child's next line of output.
func (c *childProxy) line(b testing.TB) string {
	if !c.out.Scan() {
		b.Fatalf("bench child: output ended (%v)", c.out.Err())
	}
	return c.out.Text()
}

// ask sends the child a command and returns its answer's fields.
func (c *childProxy) ask(b testing.TB, command string) []int64 {
	fmt.Fprintln(c.in, command)
	var v []int64
	for _, f := range strings.Fields(c.line(b)) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatalf("bench child answered %q to %s", f, command)
		}
		v = append(v, n)
	}
	return v
}

func (c *childProxy) stop() {
	c.in.Close()
	c.cmd.Wait()
}

// BenchmarkCPUProcess is BenchmarkCPU's steady load (16 streams, one event
// per millisecond each) through each proxy in a process of its own, both
// proxies at once: whatever else the shared machine does in the meantime
// hits them alike, where runs taken one after the other compared CPU
// spent seconds apart (per-route figures then moved by ±30 % between
// rounds). One op is one event on each route.
//
// Metrics per route: <route>-cpu-ns/event (the child's user+system CPU
// time) and <route>-reads/event, <route>-writes/event (its read and write
// system calls); cpu-ratio is mcpscope's CPU per event over
// ReverseProxy's, and observed-% the share of events mcpscope's counting
// subscriber received.
func BenchmarkCPUProcess(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		b.Run("size="+sizeName(size), func(b *testing.B) {
			children := startChildren(b, pacedUpstream())
			children.start(b)
			var wg sync.WaitGroup
			for _, c := range children {
				wg.Go(func() { runPaced(b, c.rig, size) })
			}
			wg.Wait()
			children.report(b, int64(b.N), cpuStreams)
		})
	}
}

// BenchmarkPOSTStreamsProcess is BenchmarkPOSTStreams (16 workers × 200
// tools/call POSTs, each answered with a stream of 50 events of 256 B)
// through each proxy in a process of its own, both at once, with the
// metrics of BenchmarkCPUProcess. One op is 3,200 streams on each route.
// The two loads share the machine, so each runs at about half the speed
// it would alone; CPU per event is what to compare.
func BenchmarkPOSTStreamsProcess(b *testing.B) {
	children := startChildren(b, postUpstream())
	loads := make([]*postLoad, len(children))
	for i, c := range children {
		loads[i] = newPOSTLoad(c.rig, c.route)
	}
	children.start(b)
	ops := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for _, l := range loads {
			wg.Go(func() { l.run(b) })
		}
		wg.Wait()
		ops++
	}
	streams := int64(ops * postWorkers * postStreams)
	children.report(b, streams*postEvents, streams)
	for _, l := range loads {
		b.ReportMetric(float64(l.cut.Load()), l.route+"-cut-streams")
	}
}

// processProxies are ReverseProxy and mcpscope, in that order, each in a
// child process in front of an upstream of its own.
var processProxies = []string{"reverseproxy", "mcpscope"}

type child struct {
	route string
	rig   *rig
	proc  *childProxy
	cpu0  []int64 // the child's "cpu" answer when the timed part began
	seen0 []int64 // its "observed" answer then: events and closed streams before (initialize's)
}

type children []*child

// startChildren starts a child proxy for each of processProxies in front
// of an upstream serving h.
func startChildren(b *testing.B, h http.Handler) children {
	cs := make(children, len(processProxies))
	for i, route := range processProxies {
		r, proc := newProcessRig(b, route, h)
		cs[i] = &child{route: route, rig: r, proc: proc}
	}
	return cs
}

// start notes each child's CPU time and what it observed so far, and
// resets the benchmark timer.
func (cs children) start(b *testing.B) {
	for _, c := range cs {
		c.cpu0, c.seen0 = c.proc.ask(b, "cpu"), c.proc.ask(b, "observed")
	}
	b.ResetTimer()
}

// report stops the timer and reports each child's CPU time and system
// calls per event, their ratio, and the share of the timed part's events
// mcpscope's subscriber saw once it has seen its streams streams close.
func (cs children) report(b *testing.B, events, streams int64) {
	b.StopTimer()
	cpu := make([]float64, len(cs))
	for i, c := range cs {
		after := c.proc.ask(b, "cpu")
		cpu[i] = float64(after[0]-c.cpu0[0]) / float64(events)
		b.ReportMetric(cpu[i], c.route+"-cpu-ns/event")
		if len(after) == 3 && after[1] > 0 {
			b.ReportMetric(float64(after[1]-c.cpu0[1])/float64(events), c.route+"-reads/event")
			b.ReportMetric(float64(after[2]-c.cpu0[2])/float64(events), c.route+"-writes/event")
		}
	}
	b.ReportMetric(cpu[1]/cpu[0], "cpu-ratio")
	m := cs[1]
	b.ReportMetric(100*float64(m.proc.observedEvents(b, m.seen0, streams))/float64(events), "observed-%")
}

// observedEvents waits (up to 10 s) until the child's subscriber has seen
// streams more streams close than it had at since (an "observed" answer),
// and returns the SSE events it counted since then.
func (c *childProxy) observedEvents(b *testing.B, since []int64, streams int64) int64 {
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := c.ask(b, "observed")
		if seen[1]-since[1] >= streams || time.Now().After(deadline) {
			return seen[0] - since[0]
		}
		time.Sleep(time.Millisecond)
	}
}
