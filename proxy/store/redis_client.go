package store

import "github.com/redis/go-redis/v9"

// Client returns the Redis client the store uses, for other features that
// share the store's Redis (the control requests between instances, package
// cluster). The store owns it: Close closes it.
func (r *Redis) Client() redis.UniversalClient { return r.client }
