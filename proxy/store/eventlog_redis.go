package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLog keeps replay logs in Redis Streams, shared by every instance on
// that Redis: a stream's log is the Redis stream PREFIX:events:{<key>}, one
// entry per event (fields seq, frame, cursor, at), with the bytes of its
// frames counted under PREFIX:events:{<key>}:bytes (the hash tag puts both in
// one cluster slot, a slot per stream). Each append trims the
// oldest entries past Limits.Events and Limits.Bytes, in one Lua script, and
// both keys expire Limits.Age after the last append.
type RedisLog struct {
	Limits LogLimits
	r      *Redis
}

// EventLog returns the replay log kept in this Redis.
func (r *Redis) EventLog(l LogLimits) *RedisLog { return &RedisLog{Limits: l, r: r} }

func (l *RedisLog) key(stream string) string { return l.r.Prefix + ":events:{" + stream + "}" }

// appendScript adds an event and trims the log. KEYS: the stream, its byte
// counter. ARGV: seq, frame, cursor, at (ms), max events, max bytes, age
// (ms); a 0 limit is no limit. The newest event always stays.
var appendScript = redis.NewScript(`
redis.call('XADD', KEYS[1], '*', 'seq', ARGV[1], 'frame', ARGV[2], 'cursor', ARGV[3], 'at', ARGV[4])
local total = redis.call('INCRBY', KEYS[2], string.len(ARGV[2]))
local maxEvents, maxBytes = tonumber(ARGV[5]), tonumber(ARGV[6])
while true do
  local n = redis.call('XLEN', KEYS[1])
  if n <= 1 or not ((maxEvents > 0 and n > maxEvents) or (maxBytes > 0 and total > maxBytes)) then break end
  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  local fields, size = first[2], 0
  for i = 1, #fields, 2 do
    if fields[i] == 'frame' then size = string.len(fields[i + 1]) end
  end
  redis.call('XDEL', KEYS[1], first[1])
  total = redis.call('DECRBY', KEYS[2], size)
end
if tonumber(ARGV[7]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
return total
`)

func (l *RedisLog) Append(ctx context.Context, stream string, e LoggedEvent) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	key := l.key(stream)
	err := appendScript.Run(ctx, l.r.client, []string{key, key + ":bytes"},
		e.Seq, e.Frame, e.Cursor, e.At.UnixMilli(), l.Limits.Events, l.Limits.Bytes, l.Limits.Age.Milliseconds()).Err()
	if err != nil {
		return failed("logging an event", err)
	}
	return nil
}

func (l *RedisLog) After(ctx context.Context, stream string, seq int64) ([]LoggedEvent, bool, error) {
	msgs, err := l.r.client.XRange(ctx, l.key(stream), "-", "+").Result()
	if err != nil {
		return nil, false, failed("reading a replay log", err)
	}
	oldest := time.Time{}
	if l.Limits.Age > 0 {
		oldest = time.Now().Add(-l.Limits.Age)
	}
	events := make([]LoggedEvent, 0, len(msgs))
	for _, m := range msgs {
		if e := decodeLogged(m.Values); oldest.IsZero() || !e.At.Before(oldest) {
			events = append(events, e)
		}
	}
	return after(events, seq)
}

func decodeLogged(v map[string]any) LoggedEvent {
	str := func(k string) string { s, _ := v[k].(string); return s }
	seq, _ := strconv.ParseInt(str("seq"), 10, 64)
	at, _ := strconv.ParseInt(str("at"), 10, 64)
	return LoggedEvent{Seq: seq, Frame: str("frame"), Cursor: str("cursor"), At: time.UnixMilli(at)}
}
