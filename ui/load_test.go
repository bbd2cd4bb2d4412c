package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/ui"
)

// TestLoadKeysResponsive is issue 4's load requirement: "20 000 events/s for
// 10 s keeps keys responsive (under 100 ms) and memory bounded".
//
// It runs the real ui.Run (its bridge, the Bubble Tea program and its
// renderer) on a real proxy.Bus subscription of the size the CLI uses,
// with a fake engine, a 120×40 window, keys written into an input pipe and
// the frames the renderer writes read back. A goroutine publishes 20 000
// synthetic sse_event observations a second (notifications/progress,
// ~250-byte blocks whose Body and EventID share the Raw bytes, as the
// proxy's do).
//
// Key latency is measured from the moment a key's byte is written to the
// program's input until the renderer writes a frame that shows its effect:
// "?" toggles the full help, whose frame is the first to contain "oldest"
// (the help for g); "?" again brings back the hints of the help bar
// ("p pause/resume · s step").
// That covers the input reader, the event loop (which is also busy with
// the bridge's batches), Update, View and the renderer's frame tick (60
// fps), which is what a user waits for.
//
// Memory: the live heap (runtime/metrics /gc/heap/live:bytes, as of the
// last collection, so sampling does not force any) is sampled every 250 ms;
// it must stay under an absolute bound, and must not grow by more than a
// margin once the traffic list is full (MaxRows rows, reached after half a
// second): an unbounded list would add ~1 KB per event, 20 MB a second.
//
// By default it runs 3 s; MCPSCOPE_LOAD=1 runs the full 10 s of the issue.
// Under -race, where everything is several times slower and the figures
// describe the detector rather than the UI, the latency bound is 500 ms.
func TestLoadKeysResponsive(t *testing.T) {
	duration := 3 * time.Second
	if os.Getenv("MCPSCOPE_LOAD") == "1" {
		duration = 10 * time.Second
	}
	const (
		rate       = 20_000
		maxHeap    = 48 << 20 // absolute bound on the live heap
		maxGrowth  = 16 << 20 // growth allowed after the list is full
		warmUp     = time.Second
		keyTimeout = 5 * time.Second
	)
	bound := 100 * time.Millisecond
	if raceEnabled() {
		bound = 500 * time.Millisecond
	}
	realisticColours(t)

	bus := proxy.NewBus()
	sub := bus.Subscribe(uiBuffer)
	defer sub.Close()
	screen := newScreenWriter()
	keys, typing := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() {
		ran <- ui.Run(ctx, newLoadEngine(), sub, ui.Options{Info: ui.Info{Listen: "127.0.0.1:7331", Upstream: "http://127.0.0.1:3001/mcp"}},
			tea.WithInput(keys), tea.WithOutput(screen), tea.WithoutSignalHandler(), windowSize(120, 40))
	}()
	defer typing.Close() // ends the program's input reader (and a press stuck on a dead program)
	// press types key; a program that stopped reading fails the test
	// rather than hang it.
	press := func(key string) {
		t.Helper()
		typed := make(chan error, 1)
		go func() { _, err := typing.Write([]byte(key)); typed <- err }()
		select {
		case err := <-typed:
			if err != nil {
				t.Fatalf("typing %q: %v", key, err)
			}
		case err := <-ran:
			if key == "q" && err == nil {
				ran <- err // it read q and quit: the caller checks
				return
			}
			t.Fatalf("ui.Run ended before reading %q: %v", key, err)
		case <-time.After(keyTimeout):
			t.Fatalf("the program did not read %q within %v", key, keyTimeout)
		}
	}
	screen.waitFor(t, "the first frame with traffic", "notifications/progress", func() { bus.Publish(syntheticEvent(0, "st-1", "s-load", time.Millisecond)) })

	start := time.Now()
	stop := make(chan struct{})
	var published atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { publishAt(bus, rate, stop, &published) })
	var heap heapSampler
	wg.Go(func() { heap.run(stop, 250*time.Millisecond, start.Add(warmUp)) })

	var latencies []time.Duration
	help := false
	for time.Since(start) < duration {
		marker := "oldest" // in the full help only
		if help {
			marker = "p pause/resume · s step" // in the help bar's hints only
		}
		seen := screen.expect(marker)
		sent := time.Now()
		press("?")
		select {
		case at := <-seen:
			latencies = append(latencies, at.Sub(sent))
		case <-time.After(keyTimeout):
			close(stop)
			wg.Wait()
			t.Fatalf("pressed ? and no frame showed its effect (%q) within %v", marker, keyTimeout)
		}
		help = !help
		time.Sleep(time.Duration(50+len(latencies)%7*10) * time.Millisecond) // 50–110 ms apart, off the frame rhythm
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)

	press("q")
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("ui.Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q did not end ui.Run within 10 s")
	}

	slices.Sort(latencies)
	p50, p99, worst := percentile(latencies, 50), percentile(latencies, 99), latencies[len(latencies)-1]
	shownRate, dropped := screen.status()
	t.Logf("GOMAXPROCS %d; %.1f s at %.0f events/s published (target %d): %d key presses, latency p50 %v p99 %v max %v (bound %v); "+
		"status bar said %s ev/s, %s dropped; live heap: %.1f MiB after warm-up, peak %.1f MiB, last %.1f MiB; %d frames, %.1f MB written",
		runtime.GOMAXPROCS(0), elapsed.Seconds(), float64(published.Load())/elapsed.Seconds(), rate, len(latencies), p50.Round(time.Microsecond), p99.Round(time.Microsecond),
		worst.Round(time.Microsecond), bound, shownRate, dropped, mib(heap.warm), mib(heap.peak), mib(heap.last), screen.frames.Load(), float64(screen.bytes.Load())/1e6)

	if got := float64(published.Load()) / elapsed.Seconds(); got < 0.9*rate {
		t.Errorf("published %.0f events/s, want at least %d: the machine could not generate the load, the test proves little", got, rate*9/10)
	}
	if worst > bound {
		t.Errorf("slowest key took %v to show (p50 %v, p99 %v), want under %v", worst, p50, p99, bound)
	}
	if heap.peak > maxHeap {
		t.Errorf("live heap peaked at %.1f MiB, want under %.0f MiB", mib(heap.peak), mib(maxHeap))
	}
	if heap.peakAfterWarm-heap.warm > maxGrowth {
		t.Errorf("live heap grew from %.1f MiB to %.1f MiB after the traffic list filled, want at most %.0f MiB of growth",
			mib(heap.warm), mib(heap.peakAfterWarm), mib(maxGrowth))
	}
}

// uiBuffer is the bus queue the CLI gives the UI (displayBuffer in display.go).
const uiBuffer = 1 << 16

// publishAt publishes synthetic progress events on one stream at rate per
// second until stop closes, catching up after oversleeping.
func publishAt(bus *proxy.Bus, rate int, stop <-chan struct{}, published *atomic.Int64) {
	start := time.Now()
	gap := time.Second / time.Duration(rate)
	var n int64
	for {
		select {
		case <-stop:
			return
		default:
		}
		due := int64(time.Since(start) / gap)
		for ; n < due; n++ {
			bus.Publish(syntheticEvent(n, "st-1", "s-load", gap))
		}
		published.Store(n)
		time.Sleep(time.Millisecond)
	}
}

// syntheticEvent is the observation of SSE event n of a progress stream as
// the proxy publishes it: Raw is the block (~250 bytes), and Body, EventID
// and EventType share its memory.
func syntheticEvent(n int64, stream, session string, gap time.Duration) *proxy.Observation {
	id := "ev-" + strconv.FormatInt(n, 10)
	body := fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"load","progress":%d,"total":1000000,"message":"synthetic load: step %d of a long-running tool call, padded to a realistic size"}}`, n, n)
	raw := "id: " + id + "\nevent: message\ndata: " + body + "\n\n"
	idAt := len("id: ")
	typeAt := idAt + len(id) + len("\nevent: ")
	bodyAt := typeAt + len("message\ndata: ")
	return &proxy.Observation{
		Type:      proxy.TypeSSEEvent,
		Session:   session,
		Stream:    stream,
		Direction: proxy.ServerToClient,
		Kind:      proxy.KindNotification,
		Method:    "notifications/progress",
		Body:      raw[bodyAt : bodyAt+len(body)],
		EventID:   raw[idAt : idAt+len(id)],
		HasID:     true,
		EventType: raw[typeAt : typeAt+len("message")],
		Size:      len(raw),
		Gap:       gap,
		Raw:       raw,
	}
}

// loadEngine is an engine with one flowing stream; the acting methods only
// keep the global pause.
type loadEngine struct {
	opened time.Time
	mu     sync.Mutex
	pause  *proxy.Pause
}

func newLoadEngine() *loadEngine { return &loadEngine{opened: time.Now()} }

func (e *loadEngine) Streams() []proxy.StreamInfo {
	return []proxy.StreamInfo{{ID: "st-1", Session: "s-load", Kind: proxy.StreamPOST, State: "flowing", Opened: e.opened}}
}

func (e *loadEngine) Sessions() []proxy.SessionInfo {
	return []proxy.SessionInfo{{ID: "s-load", FirstSeen: e.opened, LastSeen: time.Now(), Requests: 1, Streams: 1}}
}

func (e *loadEngine) PauseStream(id, by string) error   { return nil }
func (e *loadEngine) ResumeStream(id, by string) error  { return nil }
func (e *loadEngine) StepStream(id, by string) error    { return nil }
func (e *loadEngine) PauseSession(id, by string) error  { return nil }
func (e *loadEngine) ResumeSession(id, by string) error { return nil }

func (e *loadEngine) PauseAll(by string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pause = &proxy.Pause{By: by, Since: time.Now()}
}

func (e *loadEngine) ResumeAll(by string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pause = nil
}

func (e *loadEngine) Paused() (proxy.Pause, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pause == nil {
		return proxy.Pause{}, false
	}
	return *e.pause, true
}

// windowSize gives the model a w×h window. Bubble Tea v1 only learns the
// size from a terminal (and has no WithWindowSize option), so the first
// message the program handles is preceded by a WindowSizeMsg, from within
// the event loop.
func windowSize(w, h int) tea.ProgramOption {
	var once sync.Once
	return tea.WithFilter(func(m tea.Model, msg tea.Msg) tea.Msg {
		once.Do(func() { m.Update(tea.WindowSizeMsg{Width: w, Height: h}) })
		return msg
	})
}

// realisticColours renders with an ANSI palette for the test's duration,
// as in a terminal (lipgloss picks no colours when stdout is not a
// terminal, which would make rendering cheaper than it is for a user).
func realisticColours(t testing.TB) {
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.ANSI256)
	t.Cleanup(func() { lipgloss.SetColorProfile(prev) })
}

// screenWriter is the program's output: it counts frames and bytes, tells
// when a frame contains an awaited text (styling stripped), and keeps the latest rate and
// dropped count the status bar showed.
type screenWriter struct {
	frames, bytes atomic.Int64

	mu      sync.Mutex
	marker  []byte
	seen    chan time.Time
	rate    string
	dropped string
}

func newScreenWriter() *screenWriter { return &screenWriter{rate: "?", dropped: "0"} }

var (
	rateRE    = regexp.MustCompile(`(\d+) ev/s`)
	droppedRE = regexp.MustCompile(`(\d+) dropped`)
)

func (w *screenWriter) Write(p []byte) (int, error) {
	now := time.Now()
	w.frames.Add(1)
	w.bytes.Add(int64(len(p)))
	text := []byte(ansi.Strip(string(p)))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.marker != nil && bytes.Contains(text, w.marker) {
		w.seen <- now
		w.marker = nil
	}
	if m := rateRE.FindSubmatch(text); m != nil {
		w.rate = string(m[1])
	}
	if m := droppedRE.FindSubmatch(text); m != nil {
		w.dropped = string(m[1])
	}
	return len(p), nil
}

// expect arms the writer: the returned channel receives the time of the
// first frame written from now on that contains marker.
func (w *screenWriter) expect(marker string) <-chan time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.marker, w.seen = []byte(marker), make(chan time.Time, 1)
	return w.seen
}

// waitFor calls poke until a frame contains marker (10 s at most).
func (w *screenWriter) waitFor(t testing.TB, what, marker string, poke func()) {
	t.Helper()
	seen := w.expect(marker)
	deadline := time.After(10 * time.Second)
	for {
		poke()
		select {
		case <-seen:
			return
		case <-deadline:
			t.Fatalf("no frame showed %s (%q) within 10 s", what, marker)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// status returns the last event rate and dropped count the status bar
// showed.
func (w *screenWriter) status() (rate, dropped string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rate, w.dropped
}

// heapSampler records the live heap as of the last collection.
type heapSampler struct {
	warm          uint64 // the first sample after warm-up
	peak          uint64
	peakAfterWarm uint64
	last          uint64
}

func (h *heapSampler) run(stop <-chan struct{}, every time.Duration, warmAfter time.Time) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			metrics.Read(sample)
			v := sample[0].Value.Uint64()
			h.last, h.peak = v, max(h.peak, v)
			if now.After(warmAfter) {
				if h.warm == 0 {
					h.warm = v
				}
				h.peakAfterWarm = max(h.peakAfterWarm, v)
			}
		}
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, (len(sorted)*p+99)/100-1)]
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}
