package redistest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// StartCluster runs a Redis Cluster of masters processes (no replicas), the
// 16384 slots split evenly between them, and returns their addresses once
// every node reports cluster_state:ok. It skips or fails as Start does.
func StartCluster(t testing.TB, masters int) []string {
	t.Helper()
	addrs, err := startCluster(t, masters, nil)
	return must(t, addrs, err)
}

// TryCluster is StartCluster that returns nil instead of skipping.
func TryCluster(t testing.TB, masters int) []string {
	t.Helper()
	addrs, err := startCluster(t, masters, nil)
	return try(t, addrs, err)
}

// StartTLSCluster is StartCluster with every node accepting only TLS (the
// cluster bus too), its certificate issued by a CA made for the test, and
// returns that CA's certificate file (PEM) too.
func StartTLSCluster(t testing.TB, masters int) (addrs []string, caFile string) {
	t.Helper()
	addrs, caFile, err := startTLSCluster(t, masters)
	return must(t, addrs, err), caFile
}

// TryTLSCluster is StartTLSCluster that returns nil instead of skipping.
func TryTLSCluster(t testing.TB, masters int) (addrs []string, caFile string) {
	t.Helper()
	addrs, caFile, err := startTLSCluster(t, masters)
	return try(t, addrs, err), caFile
}

func startTLSCluster(t testing.TB, masters int) ([]string, string, error) {
	certs, err := writeCerts(t.TempDir())
	if err != nil {
		return nil, "", err
	}
	c := certs.both
	addrs, err := startCluster(t, masters, &c, "--tls-cluster", "yes", "--tls-replication", "yes",
		"--tls-cert-file", c.cert, "--tls-key-file", c.key, "--tls-ca-cert-file", c.ca, "--tls-auth-clients", "no")
	if err != nil && !errors.Is(err, errNoBinary) {
		err = fmt.Errorf("a TLS cluster (a build without TLS rejects --tls-port): %w", err)
	}
	if err != nil {
		return nil, "", err
	}
	return addrs, c.ca, nil
}

// startCluster starts the cluster; with certificates, the nodes listen
// only for TLS, with the args saying how.
func startCluster(t testing.TB, masters int, certs *certFiles, tlsArgs ...string) ([]string, error) {
	dir := t.TempDir()
	var tlsConf *tls.Config
	if certs != nil {
		var err error
		if tlsConf, err = certs.clientConfig(); err != nil {
			return nil, err
		}
	}
	type node struct {
		addr string
		bus  int
		c    *redis.Client
	}
	nodes := make([]node, masters)
	for i := range nodes {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		bus, err := freePort()
		if err != nil {
			return nil, err
		}
		listen := []string{"--port", strconv.Itoa(port)}
		if tlsConf != nil {
			listen = append([]string{"--port", "0", "--tls-port", strconv.Itoa(port)}, tlsArgs...)
		}
		addr, err := run(t, port, append(listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port)), "--cluster-node-timeout", "5000")...)
		if err != nil {
			return nil, err
		}
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, TLSConfig: tlsConf})
		t.Cleanup(func() { c.Close() })
		nodes[i] = node{addr, bus, c}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// As redis-cli --cluster create does: distinct config epochs, each
	// node's share of the slots, then every node meets the first.
	for i, n := range nodes {
		first, last := i*16384/masters, (i+1)*16384/masters-1
		if err := n.c.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return nil, fmt.Errorf("cluster node %s: %w", n.addr, err)
		}
		if err := n.c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", first, last).Err(); err != nil {
			return nil, fmt.Errorf("cluster node %s: %w", n.addr, err)
		}
	}
	for _, n := range nodes[1:] {
		host, port, _ := strings.Cut(n.addr, ":")
		if err := nodes[0].c.Do(ctx, "CLUSTER", "MEET", host, port, n.bus).Err(); err != nil {
			return nil, fmt.Errorf("cluster meet %s: %w", n.addr, err)
		}
	}
	addrs := make([]string, masters)
	for i, n := range nodes {
		addrs[i] = n.addr
		for {
			info, err := n.c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r", masters)) {
				break
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("the cluster of %d nodes did not form: %s: %v, %q", masters, n.addr, err, strings.ReplaceAll(info, "\r\n", " "))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs, nil
}
