package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/internal/redistest"
)

// TestMain checks that no goroutine outlives the tests, except go-redis's
// redial probe: after a run of failed dials (a Redis gone for good, as in
// TestRedisGoesDown) its pool probes once a second from a goroutine that
// ends at the first probe after Close, up to a second after the test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// backend is a store under test, with a way to let time pass.
type backend struct {
	store   Store
	advance func(time.Duration) // makes the store's clock (or TTLs) move on
}

// backends returns every backend: memory, miniredis, and real Redis
// deployments (realRedis, and a cluster and a Sentinel over TLS), each with
// a way to let time pass.
func backends(t *testing.T, ttl time.Duration) map[string]backend {
	out := map[string]backend{}

	mem := NewMemory(ttl)
	clock := time.Now()
	mem.now = func() time.Time { return clock }
	out["memory"] = backend{mem, func(d time.Duration) { clock = clock.Add(d) }}

	mr := miniredis.RunT(t)
	r, err := NewRedis("redis://"+mr.Addr()+"/0", ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	out["miniredis"] = backend{r, mr.FastForward}

	real := realRedis(t, ttl)
	overTLS := func(name, url, caFile string) {
		rt, err := OpenRedis(url, RedisOptions{TTL: ttl, TLS: &tls.Config{RootCAs: caPool(t, caFile)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rt.Close() })
		real[name] = rt
	}
	if addrs, caFile := redistest.TryTLSCluster(t, 3); addrs != nil {
		overTLS("rediss+cluster", "rediss+cluster://"+strings.Join(addrs, ","), caFile)
	}
	if addr, caFile := redistest.TryTLSSentinel(t); addr != "" {
		overTLS("rediss+sentinel", "rediss+sentinel://"+addr+"/"+redistest.SentinelMaster, caFile)
	}
	for name, rr := range real {
		out[name] = backend{rr, func(d time.Duration) { time.Sleep(d) }}
	}
	return out
}

// realRedis returns a store on each kind of real Redis deployment, every
// process started for the test: one redis-server, a cluster of three
// masters, a master named by a Sentinel, and a TLS-only server (trusted
// through its CA). A kind whose binary is absent is left out, saying so,
// unless MCPSCOPE_REQUIRE_REDIS=1 makes that a failure (redistest).
func realRedis(t *testing.T, ttl time.Duration) map[string]*Redis {
	type kind struct {
		url  string
		opts RedisOptions
	}
	kinds := map[string]kind{}
	if addr := redistest.TryStart(t); addr != "" {
		kinds["redis-server"] = kind{url: "redis://" + addr + "/0"}
	}
	if addrs := redistest.TryCluster(t, 3); addrs != nil {
		kinds["cluster"] = kind{url: "redis+cluster://" + strings.Join(addrs, ",")}
	}
	if addr := redistest.TrySentinel(t); addr != "" {
		kinds["sentinel"] = kind{url: "redis+sentinel://" + addr + "/" + redistest.SentinelMaster + "/0"}
	}
	if addr, caFile := redistest.TryTLS(t); addr != "" {
		kinds["rediss"] = kind{"rediss://" + addr + "/0", RedisOptions{TLS: &tls.Config{RootCAs: caPool(t, caFile)}}}
	}
	out := map[string]*Redis{}
	for name, k := range kinds {
		k.opts.TTL = ttl
		r, err := OpenRedis(k.url, k.opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { r.Close() })
		out[name] = r
	}
	return out
}

// caPool reads a CA certificate file into a pool.
func caPool(t testing.TB, file string) *x509.CertPool {
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", file)
	}
	return pool
}

func TestContract(t *testing.T) {
	t.Parallel() // real Redis deployments start alongside other tests
	// Real time passes for the real servers: every backend runs at once
	// (t.Run from goroutines; t.Parallel would run GOMAXPROCS at a time).
	var wg sync.WaitGroup
	defer wg.Wait()
	for name, b := range backends(t, 2*time.Second) {
		wg.Go(func() { t.Run(name, func(t *testing.T) { contract(t, b) }) })
	}
}

// contract checks a backend against the package doc's contract.
func contract(t *testing.T, b backend) {
	ctx := context.Background()
	s := b.store
	a := &Session{ProxyID: "p-a", UpstreamID: "u-1", UpstreamURL: "http://127.0.0.1:1/mcp", ProtocolVersion: "2025-11-25",
		Initialize: `{"jsonrpc":"2.0","id":0,"method":"initialize"}`, Created: time.Now().UTC().Truncate(time.Second)}
	if _, err := s.Get(ctx, "p-a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of an unknown session = %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "p-a")
	if err != nil || got.UpstreamID != "u-1" || got.Initialize != a.Initialize || !got.Created.Equal(a.Created) || got.ProtocolVersion != "2025-11-25" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	s.Put(ctx, &Session{ProxyID: "p-b", UpstreamID: "u-1"})
	ids, err := s.ByUpstream(ctx, "u-1")
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{"p-a", "p-b"}) {
		t.Errorf("ByUpstream(u-1) = %v, %v; want both", ids, err)
	}
	// Remap p-a to a new upstream session (after upstream loss).
	a.UpstreamID = "u-2"
	s.Put(ctx, a)
	if ids, _ := s.ByUpstream(ctx, "u-1"); !slices.Equal(ids, []string{"p-b"}) {
		t.Errorf("after remap, ByUpstream(u-1) = %v, want [p-b]", ids)
	}
	if ids, _ := s.ByUpstream(ctx, "u-2"); !slices.Equal(ids, []string{"p-a"}) {
		t.Errorf("after remap, ByUpstream(u-2) = %v, want [p-a]", ids)
	}
	if err := s.Delete(ctx, "p-b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "p-b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v", err)
	}
	if err := s.Delete(ctx, "p-b"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	// Idle expiry: touched sessions live on, idle ones go.
	b.advance(1200 * time.Millisecond)
	if err := s.Touch(ctx, "p-a"); err != nil {
		t.Fatal(err)
	}
	s.Put(ctx, &Session{ProxyID: "p-c", UpstreamID: "u-3"})
	b.advance(1200 * time.Millisecond)
	if _, err := s.Get(ctx, "p-a"); err != nil {
		t.Errorf("a touched session expired: %v", err)
	}
	s.Touch(ctx, "p-a")
	b.advance(2500 * time.Millisecond)
	if _, err := s.Get(ctx, "p-a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an idle session did not expire: %v", err)
	}
	if err := s.Touch(ctx, "p-a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Touch of an expired session = %v", err)
	}
	// Lookup returns the session and renews it and its reverse index.
	s.Put(ctx, &Session{ProxyID: "p-d", UpstreamID: "u-4"})
	b.advance(1500 * time.Millisecond)
	if got, err := s.Lookup(ctx, "p-d"); err != nil || got.UpstreamID != "u-4" {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	b.advance(1500 * time.Millisecond)
	if _, err := s.Get(ctx, "p-d"); err != nil {
		t.Errorf("a looked-up session expired: %v", err)
	}
	if ids, err := s.ByUpstream(ctx, "u-4"); err != nil || !slices.Equal(ids, []string{"p-d"}) {
		t.Errorf("after Lookup, ByUpstream(u-4) = %v, %v: the reverse index was not renewed", ids, err)
	}
	if _, err := s.Lookup(ctx, "p-nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of an unknown session = %v", err)
	}
}

// TestRedisDown checks that a store whose Redis is gone fails with an
// error that is not ErrNotFound (callers answer 503), and recovers.
func TestRedisDown(t *testing.T) {
	mr := miniredis.RunT(t)
	r, err := NewRedis("redis://"+mr.Addr()+"/0", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if err := r.Put(ctx, &Session{ProxyID: "p", UpstreamID: "u"}); err != nil {
		t.Fatal(err)
	}
	mr.Close()
	if _, err := r.Get(ctx, "p"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get with Redis down = %v, want a backend error", err)
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	var got *Session
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, err = r.Get(ctx, "p"); err == nil {
			break
		}
	}
	if err != nil || got.UpstreamID != "u" {
		t.Fatalf("after Redis came back: %+v, %v", got, err)
	}
}
