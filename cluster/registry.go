package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The instance set is one sorted set (one key: one slot in a Redis
// Cluster): member the instance id, score the time of its last heartbeat
// in Unix milliseconds. An entry older than 3 heartbeats is stale: that
// instance is not waited for, and the next heartbeat of anyone removes it.

// staleAfter is how old a heartbeat may be for its instance to count as
// live.
func (p *Peers) staleAfter() time.Duration { return 3 * p.heartbeat }

// checkUnique fails if another live instance has this id. A Redis that
// does not answer is no reason to fail, and then goes unchecked: two
// instances started with one id while Redis was down both answer its
// requests (the caller takes the first answer).
func (p *Peers) checkUnique() error {
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	score, err := p.client.ZScore(ctx, p.instancesKey(), p.id).Result()
	if err != nil {
		return nil // redis.Nil (absent), or Redis down
	}
	if age := time.Since(time.UnixMilli(int64(score))); age < p.staleAfter() {
		return fmt.Errorf("instance id %q is live on this Redis already (its last heartbeat %s ago): give each instance its own --instance", p.id, age.Round(time.Millisecond))
	}
	return nil
}

// beat renews this instance's entry every heartbeat and prunes stale ones,
// until Close.
func (p *Peers) beat() {
	defer p.wg.Done()
	tick := time.NewTicker(p.heartbeat)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
		now := time.Now()
		_, err := p.client.Pipelined(ctx, func(pl redis.Pipeliner) error {
			pl.ZAdd(ctx, p.instancesKey(), redis.Z{Score: float64(now.UnixMilli()), Member: p.id})
			pl.ZRemRangeByScore(ctx, p.instancesKey(), "-inf", "("+strconv.FormatInt(now.Add(-p.staleAfter()).UnixMilli(), 10))
			return nil
		})
		cancel()
		if err != nil && p.ctx.Err() == nil {
			p.log.Warn("cross-instance control: heartbeat", "err", err)
		}
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Instances lists the live instances, this one included, in id order.
func (p *Peers) Instances(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	min := strconv.FormatInt(time.Now().Add(-p.staleAfter()).UnixMilli(), 10)
	ids, err := p.client.ZRangeByScore(ctx, p.instancesKey(), &redis.ZRangeBy{Min: min, Max: "+inf", Count: maxInstances, Offset: 0}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unreachable("listing instances", err)
	}
	sort.Strings(ids)
	return ids, nil
}

// maxInstances bounds the instances one request waits for.
const maxInstances = 256
