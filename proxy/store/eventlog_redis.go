package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLog keeps replay logs in Redis Streams, shared by every instance on
// that Redis: a stream's log is the Redis stream PREFIX:events:<key>, one
// entry per event (fields seq, frame, cursor, at), trimmed to Limits.Events
// entries on every append and expiring Limits.Age after the last one.
// Limits.Bytes is not enforced here (Redis trims streams by count and id,
// not size); an event whose frame alone exceeds it is not logged, and
// Redis's own maxmemory bounds the rest.
type RedisLog struct {
	Limits LogLimits
	r      *Redis
}

// EventLog returns the replay log kept in this Redis.
func (r *Redis) EventLog(l LogLimits) *RedisLog { return &RedisLog{Limits: l, r: r} }

func (l *RedisLog) key(stream string) string { return l.r.Prefix + ":events:" + stream }

func (l *RedisLog) Append(ctx context.Context, stream string, e LoggedEvent) error {
	if l.Limits.Bytes > 0 && len(e.Frame) > l.Limits.Bytes {
		return nil
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	key := l.key(stream)
	args := &redis.XAddArgs{Stream: key, Values: []any{
		"seq", strconv.FormatInt(e.Seq, 10), "frame", e.Frame, "cursor", e.Cursor, "at", strconv.FormatInt(e.At.UnixMilli(), 10),
	}}
	if l.Limits.Events > 0 {
		args.MaxLen = int64(l.Limits.Events)
	}
	pipe := l.r.client.TxPipeline()
	pipe.XAdd(ctx, args)
	if l.Limits.Age > 0 {
		pipe.PExpire(ctx, key, l.Limits.Age)
	}
	if _, err := pipe.Exec(ctx); err != nil {
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
