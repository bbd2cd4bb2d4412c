// Package proxy is mcpscope's engine: an HTTP reverse proxy for the MCP
// transports (Streamable HTTP, the legacy HTTP+SSE transport, and the
// sessionless 2026-07-28 revision) that parses every message and SSE event
// on the way and publishes what it sees on a Bus.
//
// Every request goes upstream exactly once. The request body is read whole
// (bounded by MaxBodySize, MaxBodyInflight and BodyTimeout) and forwarded from memory, which also avoids the
// net/http race that cuts streamed responses when a handler forwards its
// inbound body as a stream (golang/go#40747). The response path is chosen by
// the upstream's Content-Type: JSON is read (bounded) and parsed, SSE is
// streamed event by event, anything else is piped.
package proxy

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpscope/mcpscope/proxy/store"
	"github.com/mcpscope/mcpscope/rules"
)

// Defaults for the zero values of Proxy's fields.
const (
	DefaultMaxBodySize           = 32 << 20 // request bodies
	DefaultMaxJSONResponse       = 32 << 20 // JSON response bodies parsed; larger ones are piped unparsed
	DefaultResponseHeaderTimeout = 2 * time.Minute
)

// Proxy forwards MCP traffic to one upstream. Configure it through its
// fields before the first request; they must not change afterwards.
type Proxy struct {
	// Upstream is the MCP server's URL. Requests keep their own path and
	// query and go to Upstream's scheme and host. Required.
	Upstream *url.URL

	// Fallbacks are further upstreams, tried in order when the one a
	// request goes to refuses the connection (see upstream_failover.go).
	Fallbacks []*url.URL
	active    atomic.Int32 // index in upstreams() of the one new sessions use

	// Bus receives every observation. If nil, New makes one.
	Bus *Bus

	// Transport sends requests upstream. If nil, NewTransport is used.
	Transport http.RoundTripper

	// AllowedHosts are Host header values accepted besides loopback names
	// and addresses ("localhost", "127.0.0.1", "[::1]", any port). An entry
	// without a port matches any port; "*" accepts every host.
	AllowedHosts []string

	// AllowedOrigins are Origin header values accepted besides loopback
	// origins (http or https on a loopback host, any port). "*" accepts
	// every origin. Requests without an Origin header are accepted.
	AllowedOrigins []string

	// MaxBodySize bounds request bodies (413 above it, refused before
	// reading when Content-Length says so); 0 means DefaultMaxBodySize.
	MaxBodySize int64

	// MaxBodyInflight bounds the request bodies held at once, across all
	// requests (503 with Retry-After past it); 0 means
	// DefaultMaxBodyInflight. A body counts the buffer it has grown to as
	// its bytes arrive (not what its Content-Length announces), from its
	// first byte until the upstream answers; a response that streams on
	// holds none. The memory the bodies take is roughly twice this when
	// the proxy is observed, since each body is also copied into the
	// observation that shows it.
	MaxBodyInflight int64

	// BodyTimeout is the longest the proxy waits for the next bytes of a
	// request body; a whole body may take at most 10 times it. Past either,
	// the client gets 408 and the request is not forwarded. 0 means
	// DefaultBodyTimeout, negative none.
	BodyTimeout time.Duration

	// MaxJSONResponse bounds the JSON response bodies the proxy parses;
	// larger ones are forwarded unparsed and flagged. 0 means
	// DefaultMaxJSONResponse.
	MaxJSONResponse int64

	// MaxEventSize bounds the SSE block the parser buffers; larger blocks
	// are forwarded in fragments as they arrive, flagged "oversized". 0 means
	// sse.DefaultMaxEventSize.
	MaxEventSize int

	// Propagate, if set, may rewrite the body of a client's request just
	// before it goes upstream, after the rules: given the exchange's id (as
	// its observations name it) and the body, it returns the body to send
	// (the same slice when unchanged). mcpscope --otlp-propagate writes
	// trace context into _meta with it (otlp.Propagator); the observations
	// keep the body as the client sent it. Nil: bodies go as the rules
	// left them. It runs on the request's goroutine and must be quick.
	Propagate func(exchange string, body []byte) []byte

	// Logger receives diagnostics. nil discards them.
	Logger *slog.Logger

	// Store maps proxy session ids to the upstream's. If nil, a memory
	// store is made on first use.
	Store     store.Store
	storeOnce sync.Once

	// ReplayLog keeps the events of streams whose ids the proxy mints (see
	// resume.go). If nil, the proxy never mints ids: every stream's bytes,
	// ids included, are the upstream's (or the rules').
	ReplayLog store.EventLog

	// DrainFor is how long a POST stream whose upstream gives no event ids
	// (so the proxy mints them) keeps reading the upstream into its replay
	// log after its client left, so a client that resumes gets what the
	// upstream sent meanwhile (0: the upstream request ends with the
	// client's, as for every other stream).
	DrainFor time.Duration

	// StdioResend, when set, serves the re-sends (Resend) of the stdio
	// sessions it bridges to HTTP (the bridge: mcpscope -- CMD). Other
	// stdio sessions (wrapped) cannot be re-sent.
	StdioResend ResendHandler

	// KeepOAuthResource leaves OAuth discovery as the upstream sent it:
	// the resource_metadata URL of a WWW-Authenticate challenge and the
	// resource of protected-resource metadata still name the upstream. By
	// default they are moved to mcpscope's origin, the URL the client
	// connected to, which a client that validates the metadata requires
	// (RFC 9728, section 3.3; see oauth.go).
	KeepOAuthResource bool
	oauthPaths        metadataPaths // metadata paths challenges named besides the well-known ones

	busOnce sync.Once

	streamSeq   atomic.Uint64
	linkSeq     atomic.Uint64 // stdio sessions (OpenLink)
	exchangeSeq atomic.Uint64
	resendSeq   atomic.Uint64 // the ids of re-sent requests (resend.go)
	connSeq     atomic.Uint64
	conns       connNumbers  // the server's connections, by number (session_sessionless.go)
	serving     atomic.Int64 // requests in ServeHTTP, and streams handed over (see Drain)
	clientConns clientConns  // the connections of streams handed over (handover.go)
	bodies      atomic.Int64 // bytes of request bodies held (see MaxBodyInflight)
	corr        correlator
	ops         operations // links MRTR rounds, tasks and progress into operations
	gates       gates
	ended       endedSessions // how recent sessions ended, for the 404 of a request naming one
	held        heldSet
	rules       atomic.Pointer[rules.Set]
	rulesSet    broadcast   // signalled when the rules in force change (Link.WatchSteer)
	toolHeaders toolHeaders // x-mcp-header bindings seen in tools/list results (mcpheaders.go)
}

// New returns a Proxy for upstream with a fresh Bus and the default
// transport.
func New(upstream *url.URL) *Proxy {
	return &Proxy{Upstream: upstream, Bus: NewBus()}
}

// NewTransport returns the transport the proxy uses by default: keep-alive
// connections shared by all sessions, no compression (so the proxy can read
// what it forwards), and a bound on the wait for response headers — never on
// a response body, since an SSE stream may idle for hours. It speaks HTTP/2
// to a TLS upstream that offers it (ALPN), also when TLSClientConfig is set
// (UpstreamTLS), with at most upstreamH2StreamWindow bytes of a response
// buffered per stream: a paused stream stops the upstream once they are in.
func NewTransport(responseHeaderTimeout time.Duration) *http.Transport {
	if responseHeaderTimeout <= 0 {
		responseHeaderTimeout = DefaultResponseHeaderTimeout
	}
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: responseHeaderTimeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
		HTTP2:                 &http.HTTP2Config{MaxReceiveBufferPerStream: upstreamH2StreamWindow},
		ReadBufferSize:        upstreamReadBuffer,
		WriteBufferSize:       upstreamWriteBuffer,
	}
}

var defaultTransport = NewTransport(0)

// transport is what sends requests upstream: Transport, or the default,
// with GET streams to cleartext upstreams on connections of their own
// where it is an *http.Transport (upstream_transport.go).
func (p *Proxy) transport() http.RoundTripper {
	t := p.Transport
	if t == nil {
		t = defaultTransport
	}
	if ht, ok := t.(*http.Transport); ok {
		return streamTransport{ht}
	}
	return t
}

// bus returns the Bus, making one on first use for a Proxy built without
// New.
func (p *Proxy) bus() *Bus {
	p.busOnce.Do(func() {
		if p.Bus == nil {
			p.Bus = NewBus()
		}
	})
	return p.Bus
}

func (p *Proxy) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

type connIDKey struct{}

// ConnContext is meant for http.Server.ConnContext: it numbers client
// connections so sessionless traffic can be grouped per connection.
func (p *Proxy) ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connIDKey{}, p.connSeq.Add(1))
}

// NewServer returns an http.Server that serves p with the settings the
// proxy expects (connection numbering, a bound on reading request headers).
// The caller owns it: Serve, then Shutdown or Close. Shutdown also ends the
// streams handed over (CloseStreams), and those handed over during it;
// Close does not reach them, Drain does.
func (p *Proxy) NewServer() *http.Server {
	srv := &http.Server{
		Handler:           p,
		ConnContext:       p.numberConn,
		ConnState:         p.connState,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(p.logger().Handler(), slog.LevelDebug),
	}
	srv.RegisterOnShutdown(p.CloseStreams)
	return srv
}

// Drain is for shutting down: once the server is closed (its streams then
// end promptly, their clients gone), it ends the streams handed over, which
// the server no longer tracks (CloseStreams: Close does not reach them, and
// one handed over during a Shutdown would outlive it), waits until no
// request is being served, or ctx ends, and then publishes every observation still deferred
// (a stream's last events and its stream_closed among them). Subscribers
// that drain their queue after it (a recorder, the headless printer) miss
// nothing the proxy saw. It returns ctx's error if requests were still
// being served.
func (p *Proxy) Drain(ctx context.Context) error {
	defer p.bus().Flush()
	p.CloseStreams()
	for p.serving.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// Settled reports whether the only requests still being served are SSE
// streams. A shutdown waits for the other requests in flight, not for
// these: an MCP client keeps its GET stream open for as long as it runs,
// and a tool call's stream lasts as long as the tool does.
func (p *Proxy) Settled() bool {
	return p.serving.Load() <= int64(p.gates.openStreams())
}

// ServeHTTP forwards one client request upstream.
// A long-lived GET stream is handed over to a goroutine of its own
// (handover.go): ServeHTTP returns while it goes on, and it counts as being
// served (see Drain) until it ends. The server from NewServer closes such
// streams on Shutdown, and Drain does; Close does not reach them.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.serving.Add(1)
	handedOff := false
	defer func() {
		if !handedOff {
			p.serving.Add(-1)
		}
	}()
	if !p.checkHostAndOrigin(w, r) {
		return
	}
	var held int64 // of the in-flight budget for bodies (see request_body.go)
	defer p.releaseBody(&held)
	ex, ok := p.readRequest(w, r, &held)
	if !ok {
		return
	}
	if ex.local.answer != "" || ex.local.status != 0 {
		p.answerLocally(w, r, ex)
		return
	}
	defer func() {
		if ex.endUpstream != nil {
			ex.endUpstream()
		}
	}()
	resp, ok := p.roundTrip(w, r, ex)
	if !ok {
		return
	}
	defer func() {
		if !ex.handedOff {
			resp.Body.Close()
		}
	}()
	// Past the retries and the failover, which send the body again, nothing
	// reads it: a response that lasts (a tool call's stream) holds none of
	// the budget. (An upstream that answered before reading the whole body
	// may still be sent its end by the transport, from this buffer, for as
	// long as that takes.)
	ex.body = nil
	p.releaseBody(&held)
	p.forwardResponse(w, r, ex, resp)
	handedOff = ex.handedOff
}

// The upstream connection's buffers. Every open stream holds one
// connection, so their size is paid per stream. A GET stream's body
// bypasses the read buffer once the proxy reads at least as much at once
// (see readBuffer and dechunker), so it mostly holds response headers; the
// write buffer holds request headers (bodies larger than it are written
// directly), so headers over 512 B take a second write: an idle stream
// holds 0.5 KiB less (BenchmarkIdleStreamRSSProcess). Through the
// transport (POST answers, TLS upstreams), net/http's chunked reader reads
// a chunked body through this buffer, 1 KiB at a time. net/http's default
// is 4 KiB each.
const (
	upstreamReadBuffer  = 1 << 10
	upstreamWriteBuffer = 512
)

// upstreamH2StreamWindow is the HTTP/2 flow-control window of a response
// from the upstream: what the transport buffers of a stream the proxy does
// not read (paused, or its client slow) before the upstream must wait, as
// the kernel's socket buffers do for HTTP/1 (net/http's default is 4 MiB).
// The connection's window stays net/http's 1 GiB, larger than the streams'
// windows together (at a server's usual 100 to 250 streams per connection):
// paused streams never starve the others sharing their connection.
const upstreamH2StreamWindow = 1 << 20
