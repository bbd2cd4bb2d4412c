// Package store keeps mcpscope's session map: the proxy's own session ids
// (what clients see) mapped to the upstream's (what the server issued),
// with what is needed to re-initialize a session the upstream lost. A
// memory backend serves one instance; the Redis backend lets several
// instances behind one address share sessions.
//
// Contract, for every backend: Put stores (or replaces) a session and
// indexes it by upstream id; Get returns it or ErrNotFound; Touch restarts
// its idle timer; Lookup does both; a session idle longer than the store's TTL is gone (Get
// says ErrNotFound); Delete removes it and its index entry. Errors other
// than ErrNotFound mean the backend failed (Redis down): callers answer 503
// and retry later. All methods are safe for concurrent use.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Session is what mcpscope remembers of one session.
type Session struct {
	ProxyID         string    `json:"proxy_id"`
	UpstreamID      string    `json:"upstream_id"`
	UpstreamURL     string    `json:"upstream_url"`
	ProtocolVersion string    `json:"protocol_version,omitempty"`
	Initialize      string    `json:"initialize,omitempty"` // the client's initialize request, re-run after upstream loss (see MaxInitialize)
	ClientInfo      string    `json:"client_info,omitempty"`
	Created         time.Time `json:"created"`
	LastSeen        time.Time `json:"last_seen"`

	// InitializeDropped is the size of an initialize request too large to
	// keep (over MaxInitialize): the session cannot be re-initialized.
	InitializeDropped int `json:"initialize_dropped,omitempty"`
}

// MaxInitialize bounds the initialize request a session keeps (to re-run
// it when the upstream loses the session), and MaxClientInfo its client
// info: a session lives for the store's TTL, so an initialize with huge
// params would otherwise be held that long, once per session. A larger
// initialize is not kept (InitializeDropped says its size, and the session
// cannot be re-initialized); larger client info is not kept either.
const (
	MaxInitialize = 64 << 10
	MaxClientInfo = 4 << 10
)

// NewSession returns the session record for a proxy id mapped to an
// upstream session, with the client's initialize request (its text, protocol
// version and client info, within MaxInitialize and MaxClientInfo) when
// body is one.
func NewSession(proxyID, upstreamID, upstreamURL string, body []byte) *Session {
	sess := &Session{ProxyID: proxyID, UpstreamID: upstreamID, UpstreamURL: upstreamURL, Created: time.Now()}
	var init struct {
		Method string `json:"method"`
		Params struct {
			ProtocolVersion string          `json:"protocolVersion"`
			ClientInfo      json.RawMessage `json:"clientInfo"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &init) != nil || init.Method != "initialize" {
		return sess
	}
	sess.ProtocolVersion = init.Params.ProtocolVersion
	if len(init.Params.ClientInfo) <= MaxClientInfo {
		sess.ClientInfo = string(init.Params.ClientInfo)
	}
	if len(body) > MaxInitialize {
		sess.InitializeDropped = len(body)
	} else {
		sess.Initialize = string(body)
	}
	return sess
}

// ErrNotFound says the store has no such session (never had, expired, or
// deleted).
var ErrNotFound = errors.New("no such session")

// Store is the session map. See the package doc for the contract.
type Store interface {
	Put(ctx context.Context, s *Session) error
	Get(ctx context.Context, proxyID string) (*Session, error)
	Touch(ctx context.Context, proxyID string) error
	// Lookup is Get then Touch in one step (one round trip to Redis): what
	// every request that names a session does.
	Lookup(ctx context.Context, proxyID string) (*Session, error)
	ByUpstream(ctx context.Context, upstreamID string) ([]string, error)
	Delete(ctx context.Context, proxyID string) error
	// Name says which backend this is, for display ("memory", "redis://...").
	Name() string
	Close() error
}

// DefaultTTL is how long an idle session is kept.
const DefaultTTL = time.Hour
