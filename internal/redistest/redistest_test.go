package redistest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestServersAnswer starts each kind of server and checks that it serves
// as its doc says: a cluster whose slots all have a node, a Sentinel that
// names its master, a server that speaks TLS with the test's CA.
func TestServersAnswer(t *testing.T) {
	ctx := context.Background()
	t.Run("cluster", func(t *testing.T) {
		addrs := StartCluster(t, 3)
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs[:1]})
		defer c.Close()
		shards, err := c.ClusterSlots(ctx).Result()
		if err != nil || len(shards) != 3 {
			t.Fatalf("CLUSTER SLOTS = %v, %v; want 3 ranges", shards, err)
		}
		for _, k := range []string{"a", "b", "c", "d", "e", "f"} { // keys in several slots, through one seed
			if err := c.Set(ctx, k, k, 0).Err(); err != nil {
				t.Fatalf("SET %s: %v", k, err)
			}
		}
	})
	t.Run("tls-cluster", func(t *testing.T) {
		addrs, caFile := StartTLSCluster(t, 3)
		pem, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs[:1], TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
		defer c.Close()
		for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
			if err := c.Set(ctx, k, k, 0).Err(); err != nil {
				t.Fatalf("SET %s over TLS: %v", k, err)
			}
		}
	})
	t.Run("sentinel", func(t *testing.T) {
		addr := StartSentinel(t)
		c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: []string{addr}})
		defer c.Close()
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("SET through the Sentinel's master: %v", err)
		}
	})
	t.Run("tls-sentinel", func(t *testing.T) {
		addr, caFile := StartTLSSentinel(t)
		conf, err := (&certFiles{ca: caFile}).clientConfig()
		if err != nil {
			t.Fatal(err)
		}
		conf.ServerName = "" // each host checked by its own name
		c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: []string{addr}, TLSConfig: conf})
		defer c.Close()
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("SET through the Sentinel's master, over TLS: %v", err)
		}
	})
	t.Run("tls", func(t *testing.T) {
		addr, caFile := StartTLS(t)
		pem, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
		defer c.Close()
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING over TLS: %v", err)
		}
		plain := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer plain.Close()
		if err := plain.Ping(ctx).Err(); err == nil {
			t.Fatal("PING without TLS succeeded: the server is not TLS-only")
		}
	})
}
