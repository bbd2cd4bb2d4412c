package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/mcpscope/mcpscope/internal/redistest"
)

// redisKinds returns a store on miniredis and on each real deployment
// (realRedis).
func redisKinds(t *testing.T) map[string]*Redis {
	out := realRedis(t, time.Minute)
	mr := miniredis.RunT(t)
	r, err := NewRedis("redis://"+mr.Addr()+"/0", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	out["miniredis"] = r
	return out
}

// eachKind runs f on every store at once (they wait on the network, not
// the CPU) and returns when all are done.
func eachKind(t *testing.T, stores map[string]*Redis, f func(t *testing.T, r *Redis)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for name, r := range stores {
		wg.Go(func() { t.Run(name, func(t *testing.T) { f(t, r) }) })
	}
}

// TestRedisWritesAreAtomic remaps one session to many upstream sessions
// from many goroutines at once, with lookups in between: the reverse index
// ends with exactly one entry for it, the one its record names. (A read
// then a separate MULTI, as the store once did, leaves stale entries when
// two remaps interleave.)
func TestRedisWritesAreAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachKind(t, redisKinds(t), func(t *testing.T, r *Redis) {
		var wg sync.WaitGroup
		errs := make(chan error, 8*25)
		for g := range 8 {
			wg.Go(func() {
				for i := range 25 {
					if err := r.Put(ctx, &Session{ProxyID: "p", UpstreamID: fmt.Sprintf("u-%d-%d", g, i)}); err != nil {
						errs <- err
					}
					if _, err := r.Lookup(ctx, "p"); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got, err := r.Get(ctx, "p")
		if err != nil {
			t.Fatal(err)
		}
		members, err := r.client.ZRange(ctx, r.indexKey(), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{got.UpstreamID + "\x00p"}; !slices.Equal(members, want) {
			t.Fatalf("index = %q after concurrent remaps; want only %q", members, want)
		}
		if ids, err := r.ByUpstream(ctx, got.UpstreamID); err != nil || !slices.Equal(ids, []string{"p"}) {
			t.Errorf("ByUpstream(%s) = %v, %v", got.UpstreamID, ids, err)
		}
		if err := r.Delete(ctx, "p"); err != nil {
			t.Fatal(err)
		}
		if n, err := r.client.ZCard(ctx, r.indexKey()).Result(); err != nil || n != 0 {
			t.Errorf("after Delete the index holds %d members (%v)", n, err)
		}
	})
}

// TestRedisToleratesForeignKeys: keys of the store's earlier layout
// (PREFIX:session:ID, PREFIX:upstream:ID) are not read (old sessions are
// unknown: their clients initialize again) and break nothing; a record that
// is not a session is an error for Get and Lookup, and Put and Delete
// replace or remove it; an index key of the wrong type is an error, not a
// panic.
func TestRedisToleratesForeignKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachKind(t, redisKinds(t), func(t *testing.T, r *Redis) {
		c := r.client
		old := `{"proxy_id":"p-old","upstream_id":"u-old","upstream_url":"http://up"}`
		c.Set(ctx, "mcpscope:session:p-old", old, time.Minute)
		c.SAdd(ctx, "mcpscope:upstream:u-old", "p-old")
		if _, err := r.Lookup(ctx, "p-old"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup of a session in the old layout = %v, want ErrNotFound", err)
		}
		if ids, err := r.ByUpstream(ctx, "u-old"); err != nil || len(ids) != 0 {
			t.Errorf("ByUpstream over the old layout = %v, %v; want none", ids, err)
		}
		if err := c.Set(ctx, r.sessionKey("p-bad"), "not json", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Lookup(ctx, "p-bad"); err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("Lookup of a corrupt record = %v, want an error saying so", err)
		}
		if err := r.Touch(ctx, "p-bad"); err != nil {
			t.Errorf("Touch of a corrupt record = %v", err)
		}
		if err := r.Put(ctx, &Session{ProxyID: "p-bad", UpstreamID: "u"}); err != nil {
			t.Fatalf("Put over a corrupt record: %v", err)
		}
		if s, err := r.Lookup(ctx, "p-bad"); err != nil || s.UpstreamID != "u" {
			t.Errorf("after Put, Lookup = %+v, %v", s, err)
		}
		c.Set(ctx, r.sessionKey("p-bad2"), "[1,2", time.Minute)
		if err := r.Delete(ctx, "p-bad2"); err != nil {
			t.Errorf("Delete of a corrupt record: %v", err)
		}
		if n, _ := c.Exists(ctx, r.sessionKey("p-bad2")).Result(); n != 0 {
			t.Error("Delete left a corrupt record")
		}
		c.Del(ctx, r.indexKey())
		c.Set(ctx, r.indexKey(), "not a sorted set", time.Minute)
		if err := r.Put(ctx, &Session{ProxyID: "p-x", UpstreamID: "u"}); err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
			t.Errorf("Put with a foreign index key = %v, want WRONGTYPE", err)
		}
		if _, err := r.ByUpstream(ctx, "u"); err == nil {
			t.Error("ByUpstream with a foreign index key: no error")
		}
	})
}

// TestDeadRedisEveryKind: with nothing listening where the URL points (one
// Redis, cluster seeds, Sentinels, TLS), every call fails within seconds
// with an error naming the store that is not ErrNotFound (the proxy answers
// 503), and nothing panics.
func TestDeadRedisEveryKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dead := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	stores := map[string]*Redis{}
	for name, u := range map[string]string{
		"redis-server": "redis://" + dead() + "/0",
		"cluster":      "redis+cluster://" + dead() + "," + dead(),
		"sentinel":     "redis+sentinel://" + dead() + "," + dead() + "/mymaster",
		"rediss":       "rediss://" + dead() + "/0",
	} {
		r, err := NewRedis(u, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		stores[name] = r
	}
	eachKind(t, stores, func(t *testing.T, r *Redis) {
		start := time.Now()
		log := r.EventLog(LogLimits{Events: 5})
		for op, call := range map[string]func() error{
			"ping":   func() error { return r.Ping(ctx) },
			"put":    func() error { return r.Put(ctx, &Session{ProxyID: "p", UpstreamID: "u"}) },
			"get":    func() error { _, err := r.Get(ctx, "p"); return err },
			"lookup": func() error { _, err := r.Lookup(ctx, "p"); return err },
			"touch":  func() error { return r.Touch(ctx, "p") },
			"by":     func() error { _, err := r.ByUpstream(ctx, "u"); return err },
			"delete": func() error { return r.Delete(ctx, "p") },
			"append": func() error { return log.Append(ctx, "s", LoggedEvent{Seq: 1, Frame: "data: x\n\n"}) },
			"after":  func() error { _, _, err := log.After(ctx, "s", 0); return err },
		} {
			err := call()
			if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "session store (redis)") {
				t.Errorf("%s with Redis dead = %v; want an error naming the store", op, err)
			}
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("nine calls with Redis dead took %v", d)
		}
	})
}

// TestRedissChecksTheCertificate: a TLS Redis whose CA the store does not
// trust is refused with the certificate problem named; trusted through
// RedisOptions.TLS (--store-ca-cert) it serves, and so it does with
// skip_verify=true, which checks nothing.
func TestRedissChecksTheCertificate(t *testing.T) {
	t.Parallel()
	addr, caFile := redistest.StartTLS(t)
	ctx := context.Background()
	open := func(u string, o RedisOptions) *Redis {
		r, err := OpenRedis(u, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	if err := open("rediss://"+addr, RedisOptions{}).Ping(ctx); err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("Ping with the system's roots = %v; want the unknown authority named", err)
	}
	if err := open("rediss://"+addr, RedisOptions{TLS: &tls.Config{RootCAs: caPool(t, caFile)}}).Ping(ctx); err != nil {
		t.Errorf("Ping trusting the CA: %v", err)
	}
	if err := open("rediss://"+addr+"?skip_verify=true", RedisOptions{}).Ping(ctx); err != nil {
		t.Errorf("Ping with skip_verify: %v", err)
	}
	if _, err := OpenRedis("redis://"+addr, RedisOptions{TLS: &tls.Config{}}); err == nil || !strings.Contains(err.Error(), "use rediss://") {
		t.Errorf("TLS settings for a redis:// URL = %v; want an error", err)
	}
}

// TestSentinelFailover: a session written through the master a Sentinel
// names is still there after the Sentinel promotes the replica, and the
// store writes on to the new master by itself (a request in between may
// fail: the proxy's 503).
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	s := redistest.StartFailover(t)
	ctx := context.Background()
	r, err := NewRedis("redis+sentinel://"+s.Addr+"/"+redistest.SentinelMaster, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Put(ctx, &Session{ProxyID: "p-before", UpstreamID: "u"}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.client.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("the replica did not acknowledge the write: %d, %v", n, err)
	}
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
	defer sentinel.Close()
	if err := sentinel.Failover(ctx, redistest.SentinelMaster).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	var lastErr error
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no write reached the new master within 20 s: %v", lastErr)
		}
		if lastErr = r.Put(ctx, &Session{ProxyID: "p-after", UpstreamID: "u"}); lastErr != nil {
			continue
		}
		promoted := redis.NewClient(&redis.Options{Addr: s.Replica})
		n, err := promoted.Exists(ctx, r.sessionKey("p-after")).Result()
		promoted.Close()
		if err == nil && n == 1 {
			break // written to the promoted replica, not the old master
		}
		lastErr = fmt.Errorf("the write went to %s, not the promoted %s", s.Master, s.Replica)
	}
	for _, id := range []string{"p-before", "p-after"} {
		if got, err := r.Lookup(ctx, id); err != nil || got.UpstreamID != "u" {
			t.Errorf("after the failover, Lookup(%s) = %+v, %v", id, got, err)
		}
	}
	if ids, err := r.ByUpstream(ctx, "u"); err != nil || len(ids) != 2 {
		t.Errorf("after the failover, ByUpstream(u) = %v, %v; want both", ids, err)
	}
}

// TestRedisGoesDown: every data node of each real deployment shuts down
// under an open store (the cluster's masters, the Sentinel's master while
// the Sentinel still names it): each call then fails within seconds with
// an error that is not ErrNotFound (the proxy answers 503), and nothing
// panics.
func TestRedisGoesDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachKind(t, realRedis(t, time.Minute), func(t *testing.T, r *Redis) {
		if err := r.Put(ctx, &Session{ProxyID: "p", UpstreamID: "u"}); err != nil {
			t.Fatal(err)
		}
		shutdown := func(ctx context.Context, c *redis.Client) error {
			c.Do(ctx, "SHUTDOWN", "NOSAVE") // answers by closing the connection
			return nil
		}
		if cluster, ok := r.client.(*redis.ClusterClient); ok {
			if err := cluster.ForEachShard(ctx, shutdown); err != nil {
				t.Fatal(err)
			}
		} else {
			r.client.Do(ctx, "SHUTDOWN", "NOSAVE")
		}
		start := time.Now()
		if _, err := r.Lookup(ctx, "p"); err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "session store (redis) lookup") {
			t.Errorf("Lookup with the data nodes down = %v; want a store error", err)
		}
		if err := r.Put(ctx, &Session{ProxyID: "q", UpstreamID: "u"}); err == nil {
			t.Error("Put with the data nodes down: no error")
		}
		if _, _, err := r.EventLog(LogLimits{}).After(ctx, "s", 0); err == nil {
			t.Error("After with the data nodes down: no error")
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("three calls with the data nodes down took %v", d)
		}
	})
}
