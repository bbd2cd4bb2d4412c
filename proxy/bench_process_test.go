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
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mcpscope/proxy"
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
	benchChildProfileEnv  = "MCPSCOPE_BENCH_CHILD_CPUPROFILE" // set by hand: where the child writes a CPU profile
)

// runBenchChild serves route in front of upstream on a loopback port. It
// prints "listening ADDR" on stdout, then answers one command per stdin
// line — "cpu": its user+system CPU time in ns, and its read and write
// system calls so far; "observed": the SSE event
// and stream_closed observations its subscriber counted — and returns when
// stdin closes.
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
		p := proxy.New(u)
		p.Transport = tr
		go countObservations(p.Bus.Subscribe(0, proxy.Borrow), &events, &closed)
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
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
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
func newProcessRig(b *testing.B, route string, h http.Handler) (*rig, *childProxy) {
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
func (c *childProxy) line(b *testing.B) string {
	if !c.out.Scan() {
		b.Fatalf("bench child: output ended (%v)", c.out.Err())
	}
	return c.out.Text()
}

// ask sends the child a command and returns its answer's fields.
func (c *childProxy) ask(b *testing.B, command string) []int64 {
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
// per millisecond each) through a proxy in its own process, whose CPU time
// per event is reported as proxy-cpu-ns/event. For mcpscope, observed-% is
// the share of events its counting subscriber received.
func BenchmarkCPUProcess(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		for _, route := range []string{"reverseproxy", "mcpscope"} {
			b.Run(fmt.Sprintf("size=%s/route=%s", sizeName(size), route), func(b *testing.B) {
				r, child := newProcessRig(b, route, pacedUpstream())
				before := child.ask(b, "cpu")
				b.ResetTimer()
				runPaced(b, r, size)
				b.StopTimer()
				after := child.ask(b, "cpu")
				b.ReportMetric(float64(after[0]-before[0])/float64(b.N), "proxy-cpu-ns/event")
				if len(after) == 3 && after[1] > 0 {
					b.ReportMetric(float64(after[1]-before[1])/float64(b.N), "proxy-reads/event")
					b.ReportMetric(float64(after[2]-before[2])/float64(b.N), "proxy-writes/event")
				}
				if route == "mcpscope" {
					deadline := time.Now().Add(10 * time.Second)
					for {
						seen := child.ask(b, "observed")
						if seen[1] >= int64(cpuStreams) || time.Now().After(deadline) {
							b.ReportMetric(100*float64(seen[0])/float64(b.N), "observed-%")
							break
						}
						time.Sleep(time.Millisecond)
					}
				}
			})
		}
	}
}
