package store

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the shared backend: several mcpscope instances on one Redis see
// the same sessions. It reaches one Redis, a Redis Cluster or the master
// Sentinels name, over TCP or TLS, as its URL says (see OpenRedis).
//
// Keys: a session is a JSON string under {PREFIX}:session:<proxy id>; the
// reverse index is one sorted set, {PREFIX}:upstreams, whose members are
// "<upstream id>\x00<proxy id>" scored by when they expire (Unix ms). The
// hash tag {PREFIX} puts the whole session map in one cluster slot, so
// every write is one Lua script over keys it declares: the map is small
// (one entry a session), and atomic writes matter more than spreading it.
// Session keys expire after TTL, renewed by Touch and Lookup; the index
// drops expired members on writes and expires when every session has.
// Replay logs (RedisLog) are spread over the cluster, one slot a stream.
//
// go-redis reconnects by itself, follows a Sentinel failover and a
// cluster's MOVED and ASK redirects, so service comes back when Redis does.
type Redis struct {
	TTL time.Duration
	// Prefix starts every key (see above); "mcpscope" unless changed
	// before the first call.
	Prefix string
	client redis.UniversalClient
	url    string
}

// RedisOptions are what NewRedis's URL does not say.
type RedisOptions struct {
	TTL time.Duration // idle expiry; DefaultTTL if 0
	// TLS is the base TLS config of a rediss URL (e.g. RootCAs from
	// --store-ca-cert); nil means the system's roots. With ServerName
	// empty, each host is checked by the name it is reached by (the URL's
	// hosts, a cluster's nodes, a Sentinel's master). It is an error with a
	// URL without TLS.
	TLS *tls.Config
}

// quietLogger keeps go-redis from printing to stderr, which the TUI owns;
// failures reach mcpscope as errors (503s, logged by the proxy) instead.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietLogger{}) }

// NewRedis connects to a Redis URL (see OpenRedis) with the system's TLS
// roots. It does not wait for Redis: a Redis that is down makes calls fail
// until it is up.
func NewRedis(rawURL string, ttl time.Duration) (*Redis, error) {
	return OpenRedis(rawURL, RedisOptions{TTL: ttl})
}

// OpenRedis connects to a Redis URL with options. The URL is one of
//
//	redis://[USER:PASSWORD@]HOST:PORT[/DB]             one Redis
//	rediss://...                                       the same over TLS
//	redis://HOST:PORT?addr=HOST2:PORT2&addr=...        a Redis Cluster (go-redis's ParseClusterURL form)
//	redis+cluster://HOST:PORT[,HOST2:PORT2...]         a Redis Cluster, also from one seed
//	redis+sentinel://HOST:PORT[,HOST2:PORT2...]/MASTER[/DB]
//	                                                   the master the Sentinels name MASTER
//
// with rediss+cluster:// and rediss+sentinel:// for TLS, and go-redis's
// query parameters (dial_timeout, pool_size, ...) plus skip_verify,
// sentinel_username and sentinel_password. A malformed URL is an error
// naming the part that is wrong; no error shows a password. It does not
// wait for Redis.
func OpenRedis(rawURL string, o RedisOptions) (*Redis, error) {
	t, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("session store %s: %w", maskURL(rawURL), err)
	}
	if o.TLS != nil {
		if t.tlsConfig() == nil {
			return nil, fmt.Errorf("session store %s: TLS settings (--store-ca-cert) for a URL without TLS: use rediss://", t.shown)
		}
		c := o.TLS.Clone()
		if c.ServerName == "" {
			c.ServerName = t.tlsConfig().ServerName
		}
		c.InsecureSkipVerify = c.InsecureSkipVerify || t.tlsConfig().InsecureSkipVerify
		t.setTLS(c)
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	return &Redis{TTL: o.TTL, Prefix: "mcpscope", client: t.newClient(), url: t.shown}, nil
}

// newClient returns the go-redis client of the target, with mcpscope's
// bounds where the URL set none: 2 s to dial, read or write, one dial and
// one retry, so a dead Redis fails a request in seconds (a 503), not
// minutes.
func (t *redisTarget) newClient() redis.UniversalClient {
	bound := func(dial, read, write *time.Duration, retries, dials *int) {
		for _, d := range []*time.Duration{dial, read, write} {
			if *d == 0 {
				*d = 2 * time.Second
			}
		}
		if *retries == 0 {
			*retries = 1
		}
		if *dials == 0 {
			*dials = 1
		}
	}
	switch {
	case t.single != nil:
		o := t.single
		bound(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries, &o.DialerRetries)
		return redis.NewClient(o)
	case t.cluster != nil:
		o := t.cluster
		bound(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries, &o.DialerRetries)
		return redis.NewClusterClient(o)
	default:
		o := t.failover
		bound(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries, &o.DialerRetries)
		return redis.NewFailoverClient(o)
	}
}

func (r *Redis) Name() string { return r.url }

// Client returns the go-redis client the store uses: a *redis.Client, a
// *redis.ClusterClient or a failover *redis.Client, by the URL. Others may
// use it (pub/sub, other keys under Prefix) while the store is open; Close
// closes it.
func (r *Redis) Client() redis.UniversalClient { return r.client }

// Ping checks that Redis answers, for a warning at start: mcpscope serves
// anyway, and calls fail until Redis is up.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return failed("at "+r.url, err)
	}
	return nil
}

func (r *Redis) Close() error { return r.client.Close() }

func (r *Redis) sessionKey(id string) string { return "{" + r.Prefix + "}:session:" + id }
func (r *Redis) indexKey() string            { return "{" + r.Prefix + "}:upstreams" }
func (r *Redis) ttlMillis() int64            { return max(1, r.TTL.Milliseconds()) }

// failed names the backend in an error.
func failed(op string, err error) error { return fmt.Errorf("session store (redis) %s: %w", op, err) }

func (r *Redis) Put(ctx context.Context, s *Session) error {
	c := *s
	c.LastSeen = time.Now()
	data, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	err = putScript.Run(ctx, r.client, []string{r.sessionKey(s.ProxyID), r.indexKey()}, data, r.ttlMillis(), s.ProxyID, s.UpstreamID).Err()
	if err != nil {
		return failed("put", err)
	}
	return nil
}

func (r *Redis) Get(ctx context.Context, proxyID string) (*Session, error) {
	data, err := r.client.Get(ctx, r.sessionKey(proxyID)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, ErrNotFound
	case err != nil:
		return nil, failed("get", err)
	}
	return decodeSession("get", proxyID, data)
}

func (r *Redis) Touch(ctx context.Context, proxyID string) error {
	_, err := lookupScript.Run(ctx, r.client, []string{r.sessionKey(proxyID), r.indexKey()}, r.ttlMillis(), proxyID, 0).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return ErrNotFound
	case err != nil:
		return failed("touch", err)
	}
	return nil
}

func (r *Redis) Lookup(ctx context.Context, proxyID string) (*Session, error) {
	data, err := lookupScript.Run(ctx, r.client, []string{r.sessionKey(proxyID), r.indexKey()}, r.ttlMillis(), proxyID, 1).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, ErrNotFound
	case err != nil:
		return nil, failed("lookup", err)
	}
	return decodeSession("lookup", proxyID, []byte(data))
}

func decodeSession(op, proxyID string, data []byte) (*Session, error) {
	var s Session
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, failed(op, fmt.Errorf("a corrupt entry for %s: %w", proxyID, err))
	}
	return &s, nil
}

// ByUpstream reads the index's members for upstreamID, then the sessions
// they name (MGET, one slot): two round trips however many there are. A
// member whose session expired or now maps to another upstream is left
// out (and dropped from the index by a later write once expired).
func (r *Redis) ByUpstream(ctx context.Context, upstreamID string) ([]string, error) {
	members, err := r.client.ZRangeByLex(ctx, r.indexKey(), &redis.ZRangeBy{Min: "[" + upstreamID + "\x00", Max: "(" + upstreamID + "\x01"}).Result()
	if err != nil {
		return nil, failed("reverse lookup", err)
	}
	if len(members) == 0 {
		return nil, nil
	}
	ids, keys := make([]string, len(members)), make([]string, len(members))
	for i, m := range members {
		ids[i] = strings.TrimPrefix(m, upstreamID+"\x00")
		keys[i] = r.sessionKey(ids[i])
	}
	vals, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, failed("reverse lookup", err)
	}
	var live []string
	for i, v := range vals {
		var s struct {
			UpstreamID string `json:"upstream_id"`
		}
		if text, ok := v.(string); ok && json.Unmarshal([]byte(text), &s) == nil && s.UpstreamID == upstreamID {
			live = append(live, ids[i])
		}
	}
	return live, nil
}

func (r *Redis) Delete(ctx context.Context, proxyID string) error {
	err := deleteScript.Run(ctx, r.client, []string{r.sessionKey(proxyID), r.indexKey()}, proxyID).Err()
	if err != nil {
		return failed("delete", err)
	}
	return nil
}
