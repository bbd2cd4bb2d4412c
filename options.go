package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/bridge"
	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/cluster"
	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/otlp"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
	"github.com/mcpscope/mcpscope/record"
	"github.com/mcpscope/mcpscope/rules"
	"github.com/mcpscope/mcpscope/ui"
)

// DefaultListen is where mcpscope listens unless told otherwise.
const DefaultListen = "127.0.0.1:7331"

// options are the flags shared by the proxy and the demo.
type options struct {
	upstream      []string
	listen        string
	headless      bool
	allowHosts    []string
	allowOrigins  []string
	maxBody       int64
	maxInflight   int64
	bodyTimeout   time.Duration
	maxEvent      int
	headerTimeout time.Duration
	upstreamTLS   proxy.UpstreamTLS // --ca-cert, --client-cert, --client-key, --insecure
	logFile       string
	control       string
	controlToken  string
	uiRows        int
	exportDir     string
	rulesFile     string
	rulesWatcher  *rules.Watcher
	storeURL      string
	storeCACert   string
	instance      string         // --instance: the id among instances sharing a Redis store
	peers         *cluster.Peers // set by serve with a Redis store: control across instances
	sessionTTL    time.Duration
	resume        store.LogLimits
	recordFile    string
	redactPaths   []string
	noRedact      bool
	hub           string
	stopHub       func() // set by serve: stops the hub (wrapped sessions end), once
	tui           bool   // set by display: the TUI owns the terminal

	// The TUI's terminal: --theme (its palette), --no-mouse (leave the
	// mouse to the terminal).
	theme   ui.Theme
	noMouse bool

	// progress, set by runDemo: the demo's start-up steps, which the TUI
	// shows until traffic flows (ui.Options.Progress).
	progress <-chan string

	// bridge, set by runBridge, serves the clients in place of the proxy.
	bridge *bridge.Bridge
	// hubOnly: mcpscope hub, no HTTP upstream (cmd_hub.go).
	hubOnly bool

	// The live protocol checks (package checks): --no-checks turns them
	// off; --hung-after bounds a request's wait before it is a finding.
	noChecks  bool
	hungAfter time.Duration

	// oauthResource is --oauth-resource: which URL OAuth discovery names
	// as the resource, "proxy" (mcpscope's; the default) or "upstream".
	oauthResource string

	// OpenTelemetry (package otlp): --otlp, the collector spans go to;
	// --otlp-protocol, their encoding; --otlp-propagate, write trace
	// context into the requests sent upstream.
	otlp          string
	otlpProtocol  string
	otlpPropagate bool
}

func (o *options) register(fs *pflag.FlagSet, withUpstream bool) {
	if withUpstream {
		fs.StringArrayVarP(&o.upstream, "upstream", "u", nil, "URL of the MCP server to proxy (required), e.g. http://127.0.0.1:3001/mcp; give it again for fallbacks, tried in order when one refuses connections (sessions move, re-initialized)")
		registerUpstreamTLS(fs, &o.upstreamTLS)
		fs.StringVar(&o.oauthResource, "oauth-resource", "proxy", "the resource an OAuth-protected upstream's discovery names: proxy (mcpscope's URL, which clients that validate the metadata require; tokens are then issued for it) or upstream (left as sent, for clients that don't validate; see README \"OAuth-protected servers\")")
	}
	fs.StringVarP(&o.listen, "listen", "l", DefaultListen, "address to listen on (loopback by default)")
	fs.BoolVar(&o.headless, "headless", false, "no TUI: print one JSON object per observation on stdout (JSON Lines; credentials redacted unless --no-redact)")
	fs.StringSliceVar(&o.allowHosts, "allow-host", nil, "also accept requests with this Host header (repeatable; '*' for any)")
	fs.StringSliceVar(&o.allowOrigins, "allow-origin", nil, "also accept requests with this Origin, e.g. http://app.test:3000 (repeatable; '*' for any)")
	fs.Int64Var(&o.maxBody, "max-body", proxy.DefaultMaxBodySize, "largest client request body accepted, in bytes")
	fs.Int64Var(&o.maxInflight, "max-body-inflight", proxy.DefaultMaxBodyInflight, "request bodies held at once, in bytes, across all requests (503 past it)")
	fs.DurationVar(&o.bodyTimeout, "body-timeout", proxy.DefaultBodyTimeout, "longest wait for the next bytes of a request body; a whole body may take 10× it (408 past either)")
	fs.IntVar(&o.maxEvent, "max-event-size", 1<<20, "largest SSE event parsed; larger ones are forwarded in pieces, unparsed")
	fs.DurationVar(&o.headerTimeout, "header-timeout", proxy.DefaultResponseHeaderTimeout, "how long to wait for the upstream's response headers (never applies to an open stream)")
	fs.StringVar(&o.control, "control", "", "serve the control API (JSON over HTTP) on this address, e.g. 127.0.0.1:7332")
	fs.StringVar(&o.controlToken, "control-token", "", "bearer token the control API requires (default: a random one, printed at start)")
	fs.StringVar(&o.storeURL, "store", "memory", "where the session map lives: memory, or a Redis shared between instances: redis://HOST:PORT/DB, rediss://... (TLS), redis+cluster://HOST:PORT,HOST2:PORT2 (a cluster), redis+sentinel://HOST:PORT,HOST2:PORT2/MASTER (Sentinel); see README \"Sessions\"")
	fs.StringVar(&o.storeCACert, "store-ca-cert", "", "trust the CA certificates in this PEM file (instead of the system's) for a rediss:// --store")
	fs.StringVar(&o.instance, "instance", "", "this instance's id among those sharing a --store redis:// (default: host name and random digits); their control API and TUI reach each other's streams, e.g. --instance a")
	fs.DurationVar(&o.sessionTTL, "session-ttl", store.DefaultTTL, "forget a session idle this long")
	fs.IntVar(&o.resume.Events, "resume-events", 1000, "replay log per stream, for streams whose event ids mcpscope mints (a rule changed them, or the upstream gives no ids): events kept; 0 never mints ids")
	fs.IntVar(&o.resume.Bytes, "resume-bytes", 4<<20, "replay log per stream: bytes of events kept (the newest event always is)")
	fs.DurationVar(&o.resume.Age, "resume-age", 10*time.Minute, "replay log per stream: forget events older than this")
	fs.StringVar(&o.rulesFile, "rules", "", "interceptor rules (YAML); reloaded when the file changes, a bad edit keeps the rules in force")
	fs.StringVar(&o.recordFile, "record", "", "record every observation to this file (JSON Lines; open, export or replay it later)")
	fs.StringSliceVar(&o.redactPaths, "redact-path", nil, "also redact this JSON path in messages, e.g. params.arguments.pin or params.list.*.key (repeatable)")
	fs.BoolVar(&o.noRedact, "no-redact", false, "keep credentials (secret headers, query parameters and arguments) in the recording, --headless output and the control API's events")
	fs.IntVar(&o.uiRows, "ui-rows", 10_000, "rows the TUI keeps in its traffic list (older rows scroll away)")
	fs.StringVar(&o.exportDir, "export-dir", "", "where the TUI's E key writes exports, created 0700 (default $XDG_DATA_HOME/mcpscope/exports, else ~/.local/share/mcpscope/exports)")
	fs.StringVar(&o.hub, "hub", hub.DefaultPath(), "listen here for wrapped stdio servers (mcpscope wrap -- CMD); off: don't")
	fs.BoolVar(&o.noChecks, "no-checks", false, "don't check the traffic against the MCP specification (findings: flag:finding in the UI; see README \"Protocol checks\")")
	fs.DurationVar(&o.hungAfter, "hung-after", checks.DefaultHungAfter, "a request unanswered this long is reported (finding \"hung\"; HUNG in the stats view)")
	fs.StringVar(&o.otlp, "otlp", "", "send one span per MCP operation to this OpenTelemetry collector (OTLP/HTTP), e.g. http://127.0.0.1:4318 (posted to /v1/traces); see README \"OpenTelemetry\"")
	fs.StringVar(&o.otlpProtocol, "otlp-protocol", otlp.Protobuf, "the encoding of --otlp: http/protobuf or http/json")
	fs.BoolVar(&o.otlpPropagate, "otlp-propagate", false, "with --otlp: set params._meta.traceparent in each request sent upstream to mcpscope's span, so the server's spans join the trace (changes the bytes sent; off: the wire is untouched)")
	fs.StringVar(&o.logFile, "log-file", "", "write diagnostics to this file (default: discard; the terminal belongs to the UI)")
	registerTerminal(fs, &o.theme, &o.noMouse)
}

// registerUpstreamTLS adds the flags of the https:// upstreams' TLS.
func registerUpstreamTLS(fs *pflag.FlagSet, t *proxy.UpstreamTLS) {
	fs.StringArrayVar(&t.CAFiles, "ca-cert", nil, "trust the CA certificates in this PEM file for https:// upstreams, besides the system's (repeatable), e.g. --ca-cert ./ca.pem")
	fs.StringVar(&t.CertFile, "client-cert", "", "client certificate (PEM) for https:// upstreams that require one (mutual TLS), with --client-key")
	fs.StringVar(&t.KeyFile, "client-key", "", "the private key (PEM) of --client-cert (default: read from the --client-cert file)")
	fs.BoolVar(&t.Insecure, "insecure", false, "do not verify the https:// upstream's certificate (anyone on the path can read and change the traffic): to test only")
}

// registerTerminal adds the flags of the TUI's terminal: --theme, --no-mouse.
func registerTerminal(fs *pflag.FlagSet, theme *ui.Theme, noMouse *bool) {
	fs.Var(theme, "theme", "the UI's palette: auto (ask the terminal for its background), dark or light")
	fs.BoolVar(noMouse, "no-mouse", false, "leave the mouse to the terminal (to select text) instead of clicks and the wheel acting on the UI")
}

// redactor is what removes credentials from what leaves the process
// (recording, --headless, the control API's events, messages on stderr):
// nil with --no-redact.
func (o *options) redactor() *record.Redactor {
	if o.noRedact {
		return nil
	}
	return record.NewRedactor(o.redactPaths)
}

// newProxy builds the engine from the options; a rules file that does not
// load is an error (with its line).
func (o *options) newProxy(upstreams []*url.URL, logger *slog.Logger) (*proxy.Proxy, error) {
	p := proxy.New(upstreams[0])
	p.Fallbacks = upstreams[1:]
	tr := proxy.NewTransport(o.headerTimeout)
	tlsConfig, err := o.upstreamTLS.Config()
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = tlsConfig
	p.Transport = tr
	p.AllowedHosts = o.allowHosts
	p.AllowedOrigins = o.allowOrigins
	p.MaxBodySize = o.maxBody
	p.MaxBodyInflight, p.BodyTimeout = o.maxInflight, o.bodyTimeout
	p.MaxEventSize = o.maxEvent
	p.Logger = logger
	switch o.oauthResource {
	case "", "proxy":
	case "upstream":
		p.KeepOAuthResource = true
	default:
		return nil, fmt.Errorf("--oauth-resource %q: want proxy or upstream", o.oauthResource)
	}
	memory := o.storeURL == "" || o.storeURL == "memory"
	if memory && o.storeCACert != "" {
		return nil, errors.New("--store-ca-cert: only a rediss:// --store uses TLS")
	}
	switch {
	case memory:
		p.Store = store.NewMemory(o.sessionTTL)
		p.ReplayLog = store.NewMemoryLog(o.resume)
	case strings.HasPrefix(o.storeURL, "redis"):
		s, err := o.openRedis()
		if err != nil {
			return nil, err
		}
		p.Store, p.ReplayLog = s, s.EventLog(o.resume)
	default:
		return nil, fmt.Errorf("--store %q: want memory or a Redis URL (redis://, rediss://, redis+cluster://, redis+sentinel://)", o.storeURL)
	}
	p.DrainFor = o.resume.Age
	if o.resume.Events <= 0 {
		p.ReplayLog = nil // never mint: every id the client sees is the upstream's
	}
	if o.rulesFile != "" {
		o.rulesWatcher = rules.NewWatcher(o.rulesFile) // before the load: no change is missed
		set, err := rules.Load(o.rulesFile)
		if err != nil {
			return nil, err
		}
		p.SetRules(set)
	}
	return p, nil
}

// openRedis opens the --store Redis, trusting --store-ca-cert's CAs if set.
func (o *options) openRedis() (*store.Redis, error) {
	opts := store.RedisOptions{TTL: o.sessionTTL}
	if o.storeCACert != "" {
		pem, err := os.ReadFile(o.storeCACert)
		if err != nil {
			return nil, fmt.Errorf("--store-ca-cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--store-ca-cert %s: no PEM certificate in it", o.storeCACert)
		}
		opts.TLS = &tls.Config{RootCAs: pool}
	}
	s, err := store.OpenRedis(o.storeURL, opts)
	if err != nil {
		return nil, fmt.Errorf("--store: %w", err)
	}
	return s, nil
}

// watchRules reloads the rules file on change until ctx ends.
func (o *options) watchRules(ctx context.Context, p *proxy.Proxy) {
	if o.rulesWatcher == nil {
		return
	}
	o.rulesWatcher.Run(ctx, 500*time.Millisecond,
		func(set *rules.Set) { p.ReloadRules(set, nil) },
		func(err error) { p.ReloadRules(nil, err) })
}

// openLogger returns the diagnostics logger and a function closing its file.
func (o *options) openLogger() (*slog.Logger, func(), error) {
	if o.logFile == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("opening log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }, nil
}

// parseUpstreams checks the upstream URLs (at least one).
func parseUpstreams(raws []string) ([]*url.URL, error) {
	if len(raws) == 0 {
		return nil, errors.New("no upstream: give the MCP server's URL with -u, e.g. -u http://127.0.0.1:3001/mcp")
	}
	var out []*url.URL
	for _, raw := range raws {
		u, err := parseUpstream(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// parseUpstream checks one upstream URL.
func parseUpstream(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("no upstream: give the MCP server's URL with -u, e.g. -u http://127.0.0.1:3001/mcp")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("upstream %q: want an http:// or https:// URL with a host", raw)
	}
	return u, nil
}
