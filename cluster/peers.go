// Package cluster lets the mcpscope instances that share one Redis (--store
// redis://) control each other's streams and sessions: a pause, step or
// resume that names a stream or session another instance carries reaches
// that instance, and listings can gather every instance's entries.
//
// It is request/reply over Redis pub/sub. Each instance has an id (stable
// for its lifetime), subscribes to PREFIX:control (requests for every
// instance) and PREFIX:control:ID (requests for it, and the replies to its
// own requests), and keeps itself in the sorted set PREFIX:instances, a
// heartbeat as score, so a caller knows whom to wait for. A request carries
// a correlation id; the caller waits for the answers of the live instances
// it asked, at most Options.Timeout, and names those that did not answer.
//
// Trust: whoever can publish on the shared Redis can pause, step and resume
// streams here and read the listings (ids, counts, who paused). Messages
// from other instances are trusted exactly as far as that Redis is; the
// control API's token is checked by the instance a user talks to, not
// again by the one that carries the stream. What is accepted is bounded
// (Options.MaxMessage, fields cut to fixed lengths), so a buggy or hostile
// peer cannot make an instance allocate without bound past what go-redis
// reads of one message (itself bounded by Redis's pub/sub client output
// buffer limit, 32 MB by default).
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpscope/mcpscope/proxy"
)

// Defaults for the zero values of Options.
const (
	DefaultPrefix      = "mcpscope"
	DefaultTimeout     = 2 * time.Second
	DefaultMaxMessage  = 1 << 20
	DefaultMaxInflight = 16
	DefaultHeartbeat   = 5 * time.Second
)

// Local is what an instance does for the others: the control methods of
// its engine (a *proxy.Proxy).
type Local interface {
	Streams() []proxy.StreamInfo
	Sessions() []proxy.SessionInfo
	PauseStream(id, by string) error
	ResumeStream(id, by string) error
	StepStream(id, by string) error
	PauseSession(id, by string) error
	ResumeSession(id, by string) error
}

// Options configure Start.
type Options struct {
	// ID names this instance ([A-Za-z0-9._-], at most 64 bytes); "" means
	// NewID().
	ID string
	// Prefix of the channels and the instance set (DefaultPrefix if "").
	Prefix string
	// Timeout bounds each remote request: the publish and the wait for
	// answers (DefaultTimeout if 0).
	Timeout time.Duration
	// MaxMessage is the largest message accepted from pub/sub, and the
	// largest sent (a listing is cut to its newest entries to fit);
	// DefaultMaxMessage if 0.
	MaxMessage int
	// MaxInflight bounds this instance's remote requests at once; past it
	// a request fails with ErrBusy (DefaultMaxInflight if 0).
	MaxInflight int
	// Heartbeat is how often the instance renews its entry in the
	// instance set; an entry not renewed for 3 heartbeats is not waited
	// for (DefaultHeartbeat if 0).
	Heartbeat time.Duration
	// Logger receives diagnostics (refused messages, Redis errors); nil
	// discards them.
	Logger *slog.Logger
}

// Errors of remote control. ErrUnreachable and ErrBusy are wrapped with
// the cause; a *NoAnswerError names the instances that did not answer.
var (
	ErrUnreachable     = errors.New("redis unreachable")
	ErrBusy            = errors.New("too many remote control requests in flight")
	ErrUnknownInstance = errors.New("no such instance")
)

// NoAnswerError says which instances were asked and did not answer in
// time.
type NoAnswerError struct {
	Instances []string
	After     time.Duration
}

func (e *NoAnswerError) Error() string {
	word := "instance"
	if len(e.Instances) > 1 {
		word = "instances"
	}
	return fmt.Sprintf("%s %s did not answer within %s", word, strings.Join(e.Instances, ", "), e.After)
}

// Peers is one instance's side of cross-instance control. Start makes it;
// Close ends its goroutines. Its methods are safe for concurrent use.
type Peers struct {
	id         string
	local      Local
	client     redis.UniversalClient
	prefix     string
	timeout    time.Duration
	maxMessage int
	heartbeat  time.Duration
	log        *slog.Logger

	inflight chan struct{}
	ps       *redis.PubSub
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   sync.Once

	mu      sync.Mutex
	pending map[string]*call // by correlation id
	remote  remoteView       // the TUI's view of the other instances (engine_view.go)

	refused atomic.Int64 // messages refused: too large, malformed, invalid
}

var validID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// NewID returns a fresh instance id: the host name (cut, and reduced to
// the characters ids allow) and 6 random hex digits.
func NewID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r < 128 && validID.MatchString(string(r)) {
			return r
		}
		return -1
	}, host)
	if len(host) > 40 {
		host = host[:40]
	}
	b := make([]byte, 3)
	rand.Read(b)
	if host == "" {
		return hex.EncodeToString(b)
	}
	return host + "-" + hex.EncodeToString(b)
}

// Start subscribes to the control channels on client and enters the
// instance set. It does not wait for Redis: a Redis that is down makes
// remote requests fail with ErrUnreachable until it is up, and local
// control never needs it. It fails if the id is invalid, or already live
// on this Redis. client stays the caller's: Close does not close it.
func Start(client redis.UniversalClient, local Local, o Options) (*Peers, error) {
	if o.ID == "" {
		o.ID = NewID()
	}
	if !validID.MatchString(o.ID) {
		return nil, fmt.Errorf("instance id %q: want 1 to 64 of A-Z a-z 0-9 . _ -", o.ID)
	}
	p := &Peers{id: o.ID, local: local, client: client, prefix: o.Prefix, timeout: o.Timeout, maxMessage: o.MaxMessage,
		heartbeat: o.Heartbeat, log: o.Logger, pending: map[string]*call{}}
	if p.prefix == "" {
		p.prefix = DefaultPrefix
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.maxMessage <= 0 {
		p.maxMessage = DefaultMaxMessage
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = DefaultMaxInflight
	}
	if p.heartbeat <= 0 {
		p.heartbeat = DefaultHeartbeat
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.inflight = make(chan struct{}, o.MaxInflight)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if err := p.checkUnique(); err != nil {
		p.cancel()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	p.ps = client.Subscribe(ctx, p.broadcast(), p.channel(p.id)) // subscribed before it enters the set; retried by go-redis if Redis is down
	cancel()
	p.wg.Add(2)
	go p.receive()
	go p.beat()
	return p, nil
}

// ID is this instance's id; "" for nil Peers (an instance alone).
func (p *Peers) ID() string {
	if p == nil {
		return ""
	}
	return p.id
}

// Refused counts the messages refused so far (too large, malformed).
func (p *Peers) Refused() int64 { return p.refused.Load() }

// Close leaves the instance set, unsubscribes and waits for the
// goroutines to end; requests in flight fail. It is idempotent, and does
// nothing on nil Peers.
func (p *Peers) Close() error {
	if p == nil {
		return nil
	}
	p.closed.Do(func() {
		p.mu.Lock() // so view starts no goroutine past this point
		p.cancel()
		p.mu.Unlock()
		p.ps.Close()
		p.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
		p.client.ZRem(ctx, p.instancesKey(), p.id)
		cancel()
	})
	return nil
}

func (p *Peers) broadcast() string        { return p.prefix + ":control" }
func (p *Peers) channel(id string) string { return p.prefix + ":control:" + id }
func (p *Peers) instancesKey() string     { return p.prefix + ":instances" }
func unreachable(op string, err error) error {
	return fmt.Errorf("%w (%s): %v", ErrUnreachable, op, err)
}
