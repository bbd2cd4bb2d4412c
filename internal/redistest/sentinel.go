package redistest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name StartSentinel's Sentinel monitors its master by.
const SentinelMaster = "mymaster"

// StartSentinel runs a master and one Sentinel (redis-server --sentinel)
// monitoring it as SentinelMaster, and returns the Sentinel's address once
// it names the master. It skips or fails as Start does.
func StartSentinel(t testing.TB) string {
	t.Helper()
	s, err := startSentinel(t, false, false)
	return must(t, s, err).Addr
}

// TrySentinel is StartSentinel that returns "" instead of skipping.
func TrySentinel(t testing.TB) string {
	t.Helper()
	s, err := startSentinel(t, false, false)
	if s = try(t, s, err); s == nil {
		return ""
	}
	return s.Addr
}

// StartTLSSentinel is StartSentinel with the master and the Sentinel
// accepting only TLS (the Sentinel reaching the master over TLS too), their
// certificates issued by a CA made for the test; it returns that CA's
// certificate file (PEM) too. The Sentinel's address is localhost:PORT and
// its certificate names only localhost; the master's names only 127.0.0.1
// (the address the Sentinel gives): a client that checks every host by the
// name of the first fails.
func StartTLSSentinel(t testing.TB) (addr, caFile string) {
	t.Helper()
	s, err := startSentinel(t, false, true)
	s = must(t, s, err)
	return s.Addr, s.CAFile
}

// TryTLSSentinel is StartTLSSentinel that returns "", "" instead of
// skipping.
func TryTLSSentinel(t testing.TB) (addr, caFile string) {
	t.Helper()
	s, err := startSentinel(t, false, true)
	if s = try(t, s, err); s == nil {
		return "", ""
	}
	return s.Addr, s.CAFile
}

// Sentinel is a Sentinel with the master it monitors and, from
// StartFailover, a replica of that master it can promote.
type Sentinel struct {
	Addr, Master, Replica string
	CAFile                string // with TLS: the CA's certificate (PEM)
}

// StartFailover is StartSentinel with a replica of the master, returned
// once the Sentinel knows the replica (so SENTINEL FAILOVER can promote
// it).
func StartFailover(t testing.TB) *Sentinel {
	t.Helper()
	s, err := startSentinel(t, true, false)
	return must(t, s, err)
}

func startSentinel(t testing.TB, withReplica, withTLS bool) (*Sentinel, error) {
	// With TLS the master's certificate names only 127.0.0.1, the address
	// the Sentinel gives for it, and the Sentinel's only localhost, the
	// name it is reached by: a client must check each host by its own name.
	var master string
	var certs *testCerts
	var tlsConf *tls.Config
	var err error
	if withTLS {
		if certs, err = writeCerts(t.TempDir()); err != nil {
			return nil, err
		}
		if master, err = runTLS(t, certs.ip); err != nil {
			return nil, err
		}
		if tlsConf, err = certs.name.clientConfig(); err != nil {
			return nil, err
		}
		tlsConf.ServerName = "localhost"
	} else if master, err = start(t); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	replica := ""
	if withReplica {
		if replica, err = startReplica(ctx, t, master); err != nil {
			return nil, err
		}
	}
	host, mport, _ := strings.Cut(master, ":")
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf") // Sentinel rewrites its config: a file of its own
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 5000\n",
		port, dir, SentinelMaster, host, mport, SentinelMaster)
	if certs != nil {
		c := certs.name
		text = fmt.Sprintf("port 0\ntls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-auth-clients no\ntls-replication yes\n",
			port, c.cert, c.key, c.ca) + strings.SplitN(text, "\n", 2)[1]
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	addr, err := run(t, port, conf, "--sentinel")
	if err != nil {
		return nil, err
	}
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, Protocol: 2, TLSConfig: tlsConf})
	defer c.Close()
	for {
		got, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		if err == nil && len(got) == 2 && got[1] == mport {
			break
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sentinel %s does not name master %s: %v %v", addr, master, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for replica != "" {
		got, err := c.Replicas(ctx, SentinelMaster).Result()
		if err == nil && len(got) == 1 && got[0]["flags"] == "slave" && got[0]["master-link-status"] == "ok" {
			break
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sentinel %s does not know replica %s: %v %v", addr, replica, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sentinel := &Sentinel{Addr: addr, Master: master, Replica: replica}
	if certs != nil {
		sentinel.Addr = net.JoinHostPort("localhost", strconv.Itoa(port))
		sentinel.CAFile = certs.name.ca
	}
	return sentinel, nil
}

// startReplica starts a replica of master and returns its address once
// its replication link is up.
func startReplica(ctx context.Context, t testing.TB, master string) (string, error) {
	replica, err := start(t)
	if err != nil {
		return "", err
	}
	c := redis.NewClient(&redis.Options{Addr: replica, Protocol: 2})
	defer c.Close()
	host, port, _ := strings.Cut(master, ":")
	if err := c.SlaveOf(ctx, host, port).Err(); err != nil {
		return "", fmt.Errorf("replica %s: %w", replica, err)
	}
	for {
		info, err := c.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return replica, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("replica %s did not sync with %s: %v", replica, master, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
