package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the shared backend: several mcpscope instances on one Redis see
// the same sessions. A session is a JSON string under
// PREFIX:session:<proxy id>, the reverse index a set under
// PREFIX:upstream:<upstream id>; both expire after TTL and Touch renews
// them. go-redis reconnects by itself, so service comes back when Redis
// does.
type Redis struct {
	TTL    time.Duration
	Prefix string
	client *redis.Client
	url    string
}

// quietLogger keeps go-redis from printing to stderr, which the TUI owns;
// failures reach mcpscope as errors (503s, logged by the proxy) instead.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietLogger{}) }

// NewRedis connects to a redis:// URL (redis://HOST:PORT/DB). It does not
// wait for Redis: a Redis that is down makes calls fail until it is up.
func NewRedis(rawURL string, ttl time.Duration) (*Redis, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("session store %q: %w", rawURL, err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	opts.MaxRetries = 1
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	shown := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		shown = u.Redacted()
	}
	return &Redis{TTL: ttl, Prefix: "mcpscope", client: redis.NewClient(opts), url: shown}, nil
}

func (r *Redis) Name() string { return r.url }

// Ping checks that Redis answers, for a warning at start: mcpscope serves
// anyway, and calls fail until Redis is up.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return failed("at "+r.url, err)
	}
	return nil
}
func (r *Redis) Close() error { return r.client.Close() }

func (r *Redis) sessionKey(id string) string  { return r.Prefix + ":session:" + id }
func (r *Redis) upstreamKey(id string) string { return r.Prefix + ":upstream:" + id }

// failed names the backend in an error.
func failed(op string, err error) error { return fmt.Errorf("session store (redis) %s: %w", op, err) }

func (r *Redis) Put(ctx context.Context, s *Session) error {
	c := *s
	c.LastSeen = time.Now()
	data, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	old, err := r.Get(ctx, s.ProxyID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if old != nil && old.UpstreamID != s.UpstreamID {
			p.SRem(ctx, r.upstreamKey(old.UpstreamID), s.ProxyID)
		}
		p.Set(ctx, r.sessionKey(s.ProxyID), data, r.TTL)
		p.SAdd(ctx, r.upstreamKey(s.UpstreamID), s.ProxyID)
		p.Expire(ctx, r.upstreamKey(s.UpstreamID), r.TTL)
		return nil
	})
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
	var s Session
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, failed("get", fmt.Errorf("a corrupt entry for %s: %w", proxyID, err))
	}
	return &s, nil
}

func (r *Redis) Touch(ctx context.Context, proxyID string) error {
	s, err := r.Get(ctx, proxyID)
	if err != nil {
		return err
	}
	_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Expire(ctx, r.sessionKey(proxyID), r.TTL)
		p.Expire(ctx, r.upstreamKey(s.UpstreamID), r.TTL)
		return nil
	})
	if err != nil {
		return failed("touch", err)
	}
	return nil
}

// lookupScript returns a session and renews it and its reverse index: one
// round trip instead of Get's and Touch's three. KEYS[1] is the session's
// key; ARGV[1] the TTL in ms, ARGV[2] the reverse index's key prefix.
var lookupScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local ok, s = pcall(cjson.decode, v)
if ok and type(s) == 'table' and type(s.upstream_id) == 'string' and s.upstream_id ~= '' then
  redis.call('PEXPIRE', ARGV[2] .. s.upstream_id, ARGV[1])
end
return v
`)

func (r *Redis) Lookup(ctx context.Context, proxyID string) (*Session, error) {
	data, err := lookupScript.Run(ctx, r.client, []string{r.sessionKey(proxyID)}, r.TTL.Milliseconds(), r.upstreamKey("")).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, ErrNotFound
	case err != nil:
		return nil, failed("lookup", err)
	}
	var s Session
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return nil, failed("lookup", fmt.Errorf("a corrupt entry for %s: %w", proxyID, err))
	}
	return &s, nil
}

func (r *Redis) ByUpstream(ctx context.Context, upstreamID string) ([]string, error) {
	ids, err := r.client.SMembers(ctx, r.upstreamKey(upstreamID)).Result()
	if err != nil {
		return nil, failed("reverse lookup", err)
	}
	var live []string
	for _, id := range ids {
		if n, err := r.client.Exists(ctx, r.sessionKey(id)).Result(); err == nil && n == 1 {
			live = append(live, id)
		}
	}
	return live, nil
}

func (r *Redis) Delete(ctx context.Context, proxyID string) error {
	s, err := r.Get(ctx, proxyID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, r.sessionKey(proxyID))
		p.SRem(ctx, r.upstreamKey(s.UpstreamID), proxyID)
		return nil
	})
	if err != nil {
		return failed("delete", err)
	}
	return nil
}
