package stdio

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// The speed of wrap with a hub observing, against a plain relay of the
// same pipes (io.Copy, what cat does), side by side in one run. Run:
//
//	go test ./stdio -run '^$' -bench 'Relay' -benchtime 20x
//
// The hub is the real one (hub.Server on a unix socket, in this process)
// with a subscriber encoding every observation as --headless does.

// benchHub is a hub with a headless-like printer to io.Discard.
type benchHub struct {
	path    string
	stop    func()
	printed lineCounter // the lines the printer wrote: about one per line observed
}

// lineCounter is io.Discard that counts the lines written to it.
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// startBenchHub starts a hub; observed: with the printer subscribed (else
// nobody subscribes, and Link.Pass skips the engine).
func startBenchHub(b testing.TB, observed bool) *benchHub {
	p := proxy.New(&url.URL{Scheme: "http", Host: "127.0.0.1:1"})
	h := &benchHub{}
	printed := make(chan struct{})
	var sub *proxy.Subscription
	if observed {
		sub = p.Bus.Subscribe(1<<16, proxy.MaxBytes(16<<20)) // as subscribeDisplay for --headless (WriteJSONLines borrows)
		go func() {
			defer close(printed)
			record.WriteJSONLines(context.Background(), sub, &h.printed, record.NewRedactor(nil))
		}()
	} else {
		close(printed)
	}
	path := filepath.Join(b.TempDir(), "hub.sock")
	ln, err := hub.Listen(path)
	if err != nil {
		b.Fatal(err)
	}
	s := &hub.Server{Proxy: p}
	served := make(chan struct{})
	go func() { defer close(served); s.Serve(ln) }()
	h.path = path
	h.stop = func() {
		s.Close()
		<-served
		if sub != nil {
			sub.Close()
		}
		p.Bus.Close()
		<-printed
	}
	return h
}

// relayServerOutput relays everything read from serverOut to clientOut
// as wrap does (the server→client direction; the client sends nothing),
// judged by judge (nil: plain), and returns once it is all written.
func relayServerOutput(judge Judge, serverOut io.Reader, clientOut io.Writer) {
	r := newRelay(judge, 0, strings.NewReader(""), clientOut, io.Discard, serverOut, os.Stderr)
	var wg sync.WaitGroup
	if judge != nil {
		wg.Go(r.runJudge)
	}
	var pipes sync.WaitGroup
	pipes.Go(r.c2s.read)
	pipes.Go(r.c2s.write)
	pipes.Go(r.s2c.read)
	pipes.Go(r.s2c.write)
	pipes.Wait()
	if judge != nil {
		judge.Close("done")
	}
	wg.Wait()
}

// pipeRun feeds total bytes of lines (each size bytes with its newline)
// into one OS pipe, relays them with relay into another, drains it, and
// returns how long that took.
func pipeRun(b testing.TB, size, total int, relay func(in io.Reader, out io.Writer)) time.Duration {
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	line := []byte(`{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"`)
	line = append(line, strings.Repeat("x", size-len(line)-4)...)
	line = append(line, "\"}}\n"...)
	chunk := make([]byte, 0, 64<<10+size)
	for len(chunk) < 64<<10 {
		chunk = append(chunk, line...)
	}
	start := time.Now()
	go func() {
		for sent := 0; sent < total; sent += len(chunk) {
			inW.Write(chunk)
		}
		inW.Close()
	}()
	drained := make(chan int64)
	go func() {
		n, _ := io.Copy(io.Discard, outR)
		drained <- n
	}()
	relay(inR, outW)
	outW.Close()
	n := <-drained
	took := time.Since(start)
	inR.Close()
	outR.Close()
	if want := int64((total + len(chunk) - 1) / len(chunk) * len(chunk)); n != want {
		b.Fatalf("relayed %d bytes, want %d", n, want)
	}
	return took
}

// catRelay is io.Copy between the pipes: on Linux, splice(2), the bytes
// never enter user space.
func catRelay(in io.Reader, out io.Writer) { io.Copy(out, in) }

// catReadWrite is what cat(1) does: read(2) and write(2) with a 128 KiB
// buffer.
func catReadWrite(in io.Reader, out io.Writer) {
	io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, make([]byte, 128<<10))
}

func hubRelay(b testing.TB, h *benchHub) func(in io.Reader, out io.Writer) {
	return func(in io.Reader, out io.Writer) {
		c, err := hub.Dial(h.path, "bench", hub.DefaultWindow)
		if err != nil {
			b.Fatal(err)
		}
		relayServerOutput(c, in, out)
	}
}

// BenchmarkRelayThroughput: per iteration, 256 MiB of lines through
// io.Copy (splice), through a read/write loop as cat(1), through wrap
// with no hub, through wrap and a hub nobody watches, and through wrap and
// a hub with the headless printer; reported as MB/s each, and as the
// median over the iterations of each one's ratio of wrap+hub to io.Copy
// (ratio) and to the read/write loop (ratio_rw) in the same iteration (the
// machine's noise moves whole iterations). hub_shown_% is the share of the
// lines the printer printed: the hub observes up to hub.ObserveRate, and
// counts the rest in notices.
func BenchmarkRelayThroughput(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			h := startBenchHub(b, true)
			defer h.stop()
			bare := startBenchHub(b, false)
			defer bare.stop()
			const total = 256 << 20
			var cat, catRW, plain, unobserved, wrap time.Duration
			var ratio, ratioRW []float64
			for b.Loop() {
				c := pipeRun(b, size, total, catRelay)
				rw := pipeRun(b, size, total, catReadWrite)
				plain += pipeRun(b, size, total, func(in io.Reader, out io.Writer) { relayServerOutput(nil, in, out) })
				unobserved += pipeRun(b, size, total, hubRelay(b, bare))
				w := pipeRun(b, size, total, hubRelay(b, h))
				cat, catRW, wrap = cat+c, catRW+rw, wrap+w
				ratio, ratioRW = append(ratio, c.Seconds()/w.Seconds()), append(ratioRW, rw.Seconds()/w.Seconds())
			}
			mb := float64(total) * float64(b.N) / 1e6
			b.ReportMetric(mb/cat.Seconds(), "cat_MB/s")
			b.ReportMetric(mb/plain.Seconds(), "wrap_no_hub_MB/s")
			b.ReportMetric(mb/unobserved.Seconds(), "wrap+hub_unobserved_MB/s")
			b.ReportMetric(mb/wrap.Seconds(), "wrap+hub_MB/s")
			b.ReportMetric(mb/catRW.Seconds(), "cat_rw_MB/s")
			b.ReportMetric(median(ratio), "ratio")
			b.ReportMetric(median(ratioRW), "ratio_rw")
			lines := float64(total/size) * float64(b.N)
			b.ReportMetric(100*float64(h.printed.n.Load())/lines, "hub_shown_%")
		})
	}
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// BenchmarkRelayLatency: 256 B lines at 1,000 lines/s for 2 s, through
// cat and through wrap and the hub (one after the other); reported: the
// median and 99th percentile time from write to read, and what wrap adds.
func BenchmarkRelayLatency(b *testing.B) {
	h := startBenchHub(b, true)
	defer h.stop()
	for b.Loop() {
		cat := latencies(b, catRelay)
		wrap := latencies(b, hubRelay(b, h))
		b.ReportMetric(float64(cat[len(cat)/2].Microseconds()), "cat_p50_µs")
		b.ReportMetric(float64(wrap[len(wrap)/2].Microseconds()), "wrap+hub_p50_µs")
		b.ReportMetric(float64(cat[len(cat)*99/100].Microseconds()), "cat_p99_µs")
		b.ReportMetric(float64(wrap[len(wrap)*99/100].Microseconds()), "wrap+hub_p99_µs")
		b.ReportMetric(float64((wrap[len(wrap)/2] - cat[len(cat)/2]).Microseconds()), "added_p50_µs")
	}
}

// latencies sends 2,000 lines of 256 B, one each millisecond, through
// relay and returns each one's time from write to read, sorted.
func latencies(b testing.TB, relay func(in io.Reader, out io.Writer)) []time.Duration {
	const n = 2000
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	sent := make([]atomic.Int64, n) // when each line was written (UnixNano)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := range n {
			<-tick.C
			sent[i].Store(time.Now().UnixNano())
			fmt.Fprintf(inW, `{"jsonrpc":"2.0","method":"notifications/message","params":{"seq":%d,"data":"%0200d"}}`+"\n", i, 0)
		}
		inW.Close()
	}()
	got := make(chan []time.Duration)
	go func() {
		var out []time.Duration
		in := bufio.NewReader(outR)
		for i := 0; ; i++ {
			if _, err := in.ReadSlice('\n'); err != nil {
				break
			}
			out = append(out, time.Duration(time.Now().UnixNano()-sent[i].Load()))
		}
		got <- out
	}()
	relay(inR, outW)
	outW.Close()
	out := <-got
	inR.Close()
	outR.Close()
	if len(out) != n {
		b.Fatalf("%d lines arrived, want %d", len(out), n)
	}
	slices.Sort(out)
	return out
}
