package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	s, err := startSentinel(t, false)
	return must(t, s, err).Addr
}

// TrySentinel is StartSentinel that returns "" instead of skipping.
func TrySentinel(t testing.TB) string {
	t.Helper()
	s, err := startSentinel(t, false)
	if s = try(t, s, err); s == nil {
		return ""
	}
	return s.Addr
}

// Sentinel is a Sentinel with the master it monitors and, from
// StartFailover, a replica of that master it can promote.
type Sentinel struct {
	Addr, Master, Replica string
}

// StartFailover is StartSentinel with a replica of the master, returned
// once the Sentinel knows the replica (so SENTINEL FAILOVER can promote
// it).
func StartFailover(t testing.TB) *Sentinel {
	t.Helper()
	s, err := startSentinel(t, true)
	return must(t, s, err)
}

func startSentinel(t testing.TB, withReplica bool) (*Sentinel, error) {
	master, err := start(t)
	if err != nil {
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
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	addr, err := run(t, port, conf, "--sentinel")
	if err != nil {
		return nil, err
	}
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, Protocol: 2})
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
	return &Sentinel{Addr: addr, Master: master, Replica: replica}, nil
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
