package otlp

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
)

// The live exporter's bus subscription: lossy, bounded in bytes, as the
// display's and the checker's are; paced, so a flood wakes it in batches.
const (
	subscriberBuffer = 1 << 14
	subscriberBytes  = 8 << 20
)

// noticeEvery bounds how often a failing collector is said on the bus.
var noticeEvery = 10 * time.Second

// Options configure Start.
type Options struct {
	Endpoint string // the collector URL (ParseEndpoint's result, or anything it accepts)
	Protocol string // Protobuf (default) or JSON
	Version  string // mcpscope's version, on the spans' resource
	// Notice, if set, is told (rate-limited, on the exporter's goroutine)
	// when the collector failed to take spans: the proxy's Notice puts it
	// on the bus, where the UI shows it.
	Notice func(string)
	// Redact, if set, removes credentials from the free texts spans carry
	// (error messages, URIs, progress messages); see Builder.Redact.
	Redact func(string) string
	// Propagator is the proxy's, when it writes trace context upstream
	// (proxy.Proxy.Propagate = Propagator.Rewrite); nil otherwise.
	Propagator *Propagator
}

// Report says what became of the spans.
type Report struct {
	Spans  int64 // spans made
	Sent   int64 // accepted by the collector
	Failed int64 // handed to the collector and given up on (after retries)
	Queue  int64 // dropped unsent: the queue was full, or the shutdown gave up on them
	Missed int64 // observations the bus dropped before the exporter saw them
	Err    string
}

// Lost reports whether anything was lost.
func (r Report) Lost() bool { return r.Failed+r.Queue+r.Missed > 0 }

// String says the report in one line, for stderr.
func (r Report) String() string {
	s := fmt.Sprintf("%s made, %d sent", plural.Count(int(r.Spans), "span"), r.Sent)
	if r.Failed > 0 {
		s += fmt.Sprintf(", %d not accepted by the collector", r.Failed)
	}
	if r.Queue > 0 {
		s += fmt.Sprintf(", %d dropped unsent (queue full or collector too slow)", r.Queue)
	}
	if r.Missed > 0 {
		s += fmt.Sprintf("; %s missed by the exporter (dropped by the bus: spans incomplete or missing)", plural.Count(int(r.Missed), "observation"))
	}
	if r.Err != "" && r.Failed > 0 {
		s += "; last error: " + r.Err
	}
	return s
}

// Live exports what a bus carries as spans until Stop.
type Live struct {
	sub      *proxy.Subscription
	tp       *sdktrace.TracerProvider
	exp      *counting
	builder  *Builder
	done     chan struct{}
	stopOnce sync.Once
	stopped  atomic.Bool
	report   Report

	// noticeDrops' state; only run touches it.
	notice      func(string)
	every       time.Duration
	saidAt      time.Time
	saidDropped int64
}

// Start subscribes to b and sends spans to the collector at
// opts.Endpoint from now on, until Stop. The proxy never waits for it
// (see the package doc). It sets the OpenTelemetry global error handler to
// one that discards: the SDK would otherwise print export errors on
// stderr, over the TUI; they are counted and said instead.
func Start(b *proxy.Bus, opts Options) (*Live, error) {
	endpoint, err := ParseEndpoint(opts.Endpoint)
	if err != nil {
		return nil, err
	}
	exp, err := newHTTPExporter(endpoint, opts.Protocol)
	if err != nil {
		return nil, err
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	c := &counting{SpanExporter: exp}
	l := &Live{exp: c, done: make(chan struct{})}
	if opts.Notice != nil {
		var mu sync.Mutex
		var last time.Time
		every := noticeEvery
		l.notice, l.every = opts.Notice, every
		c.onFail = func(n int, err error) {
			mu.Lock()
			defer mu.Unlock()
			if l.stopped.Load() {
				return // an export Stop gave up on, ending late: the report says it
			}
			if now := time.Now(); now.Sub(last) >= every {
				last = now
				msg := fmt.Sprintf("otlp: %s not accepted by %s (%d so far): %v", plural.Count(n, "span"), endpoint, c.failed.Load(), err)
				if opts.Redact != nil {
					msg = opts.Redact(msg)
				}
				opts.Notice(msg)
			}
		}
	}
	l.tp = newProvider(c, opts.Version, false)
	l.builder = NewBuilder(l.tp, opts.Version)
	l.builder.Redact, l.builder.Propagator = opts.Redact, opts.Propagator
	l.sub = b.Subscribe(subscriberBuffer, proxy.MaxBytes(subscriberBytes), proxy.Paced(proxy.PaceSmall, proxy.PacePause))
	go l.run()
	return l, nil
}

func (l *Live) run() {
	defer close(l.done)
	observe := func(batch []*proxy.Observation) error {
		for _, o := range batch {
			l.builder.Observe(o)
		}
		return nil
	}
	for l.sub.NextBorrowed(context.Background(), observe) == nil {
		l.noticeDrops()
	}
}

// noticeDrops says (rate-limited) when spans must have been dropped
// unsent: the SDK's queue drops without telling, so this is a lower
// bound — spans ended, less those the exporter was handed, less what the
// queue and the batch being exported can hold. The exact count is in the
// report at Stop.
func (l *Live) noticeDrops() {
	if l.notice == nil {
		return
	}
	handed := l.exp.sent.Load() + l.exp.failed.Load()
	dropped := l.builder.Spans() - handed - MaxQueueSize - MaxExportBatch
	if dropped <= l.saidDropped {
		return
	}
	if now := time.Now(); now.Sub(l.saidAt) >= l.every {
		l.saidAt, l.saidDropped = now, dropped
		l.notice(fmt.Sprintf("otlp: at least %s dropped unsent so far: the collector does not keep up", plural.Count(int(dropped), "span")))
	}
}

// Stop ends the subscription (what is queued is still turned into spans),
// ends the spans still waiting for answers, and sends what is left,
// waiting for the collector until ctx ends and no longer. It returns what
// became of the spans. Calls after the first return the same report.
func (l *Live) Stop(ctx context.Context) Report {
	l.stopOnce.Do(func() {
		l.sub.Close()
		<-l.done
		l.builder.Close(time.Now())
		_ = l.tp.Shutdown(ctx) // on a deadline, what is unsent counts as dropped below
		l.stopped.Store(true)
		l.report = l.reportNow()
	})
	return l.report
}

func (l *Live) reportNow() Report {
	r := Report{Spans: l.builder.Spans(), Sent: l.exp.sent.Load(), Failed: l.exp.failed.Load(), Missed: l.builder.Missed(), Err: l.exp.lastError()}
	r.Queue = max(0, r.Spans-r.Sent-r.Failed)
	return r
}
