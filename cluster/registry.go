package cluster

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// The instance set is one sorted set (one key: one slot in a Redis
// Cluster): member the instance id, score the time of its last heartbeat
// in Unix milliseconds, by Redis's clock (TIME), so instances on machines
// whose clocks disagree still see each other. An entry older than 3
// heartbeats is stale: that instance is not waited for, and the next
// heartbeat of anyone removes it.

// staleAfter is how old a heartbeat may be for its instance to count as
// live.
func (p *Peers) staleAfter() time.Duration { return 3 * p.heartbeat }

// beatScript renews ARGV[1]'s entry in KEYS[1] and removes the entries
// older than ARGV[2] ms.
var beatScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
return now
`)

// liveScript lists the members of KEYS[1] whose heartbeat is at most
// ARGV[1] ms old (at most ARGV[2] of them) and, with ARGV[3] set, the age
// in ms of that member's heartbeat (-1 if it has none).
var liveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
local age = -1
if ARGV[3] ~= '' then
  local s = redis.call('ZSCORE', KEYS[1], ARGV[3])
  if s then age = now - tonumber(s) end
end
return {ids, age}
`)

// live runs liveScript: the live instances and the age of member's
// heartbeat (-1: none; member "" asks nothing).
func (p *Peers) live(ctx context.Context, member string) ([]string, time.Duration, error) {
	res, err := liveScript.Run(ctx, p.client, []string{p.instancesKey()}, p.staleAfter().Milliseconds(), maxInstances, member).Slice()
	if err != nil {
		return nil, 0, unreachable("listing instances", err)
	}
	if len(res) != 2 {
		return nil, 0, unreachable("listing instances", fmt.Errorf("an answer of %d parts", len(res)))
	}
	list, _ := res[0].([]any)
	ids := make([]string, 0, len(list))
	for _, v := range list {
		if id, ok := v.(string); ok {
			ids = append(ids, id)
		}
	}
	age, _ := res[1].(int64)
	sort.Strings(ids)
	return ids, time.Duration(age) * time.Millisecond, nil
}

// checkUnique fails if another live instance has this id. A Redis that
// does not answer is no reason to fail, and then goes unchecked: two
// instances started with one id while Redis was down both answer its
// requests (the caller takes the first answer).
func (p *Peers) checkUnique() error {
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	_, age, err := p.live(ctx, p.id)
	if err != nil || age < 0 || age >= p.staleAfter() {
		return nil
	}
	return fmt.Errorf("instance id %q is live on this Redis already (its last heartbeat %s ago): give each instance its own --instance", p.id, age)
}

// beat renews this instance's entry every heartbeat and prunes stale ones,
// until Close.
func (p *Peers) beat() {
	defer p.wg.Done()
	tick := time.NewTicker(p.heartbeat)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
		err := beatScript.Run(ctx, p.client, []string{p.instancesKey()}, p.id, p.staleAfter().Milliseconds()).Err()
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
	ids, _, err := p.live(ctx, "")
	return ids, err
}

// maxInstances bounds the instances one request waits for.
const maxInstances = 256
