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
	addr, err := startSentinel(t)
	return must(t, addr, err)
}

// TrySentinel is StartSentinel that returns "" instead of skipping.
func TrySentinel(t testing.TB) string {
	t.Helper()
	addr, err := startSentinel(t)
	return try(t, addr, err)
}

func startSentinel(t testing.TB) (string, error) {
	master, err := start(t)
	if err != nil {
		return "", err
	}
	host, mport, _ := strings.Cut(master, ":")
	port, err := freePort()
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf") // Sentinel rewrites its config: a file of its own
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 5000\n",
		port, dir, SentinelMaster, host, mport, SentinelMaster)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return "", err
	}
	addr, err := run(t, port, conf, "--sentinel")
	if err != nil {
		return "", err
	}
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		got, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		if err == nil && len(got) == 2 && got[1] == mport {
			return addr, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("sentinel %s does not name master %s: %v %v", addr, master, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
