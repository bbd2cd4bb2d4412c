package store

import "github.com/redis/go-redis/v9"

// The Redis store's writes, each one Lua script and so atomic. Every
// script's KEYS are the session's key and the index (both under the hash
// tag {PREFIX}: one cluster slot), and it touches no other key. An index
// member is "<upstream id>\0<proxy id>" scored by its expiry (Unix ms, by
// the Redis server's clock). A session whose JSON does not decode (not
// mcpscope's) is replaced or deleted like any other, never indexed.

// scriptLib is what the scripts share: upstream(v) is a session JSON's
// upstream id or nil; index(key, member, ttl) adds or renews a member and
// the index's own expiry.
const scriptLib = `
local function upstream(v)
  if not v then return nil end
  local ok, s = pcall(cjson.decode, v)
  if ok and type(s) == 'table' and type(s.upstream_id) == 'string' then return s.upstream_id end
  return nil
end
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function index(key, member, ttl)
  redis.call('ZADD', key, string.format('%.0f', now() + tonumber(ttl)), member)
  redis.call('PEXPIRE', key, ttl)
end
`

// putScript stores a session and indexes it under its upstream id, first
// unindexing the one it replaces if that had another, and drops expired
// index members. KEYS: session, index. ARGV: the JSON, TTL (ms), proxy id,
// upstream id.
var putScript = redis.NewScript(scriptLib + `
local old = upstream(redis.call('GET', KEYS[1]))
if old and old ~= ARGV[4] then redis.call('ZREM', KEYS[2], old .. '\0' .. ARGV[3]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now()))
index(KEYS[2], ARGV[4] .. '\0' .. ARGV[3], ARGV[2])
return 1
`)

// lookupScript renews a session and its index member (re-adding it if it
// was lost) and returns the session's JSON, or 1 if ARGV[3] is 0; nil if
// there is no session. KEYS: session, index. ARGV: TTL (ms), proxy id,
// 1 to return the JSON.
var lookupScript = redis.NewScript(scriptLib + `
local v = redis.call('GET', KEYS[1])
if not v then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local up = upstream(v)
if up then index(KEYS[2], up .. '\0' .. ARGV[2], ARGV[1]) end
if ARGV[3] == '1' then return v end
return 1
`)

// deleteScript removes a session and its index member; nothing if there
// is no session. KEYS: session, index. ARGV: proxy id.
var deleteScript = redis.NewScript(scriptLib + `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local up = upstream(v)
if up then redis.call('ZREM', KEYS[2], up .. '\0' .. ARGV[1]) end
redis.call('DEL', KEYS[1])
return 1
`)
