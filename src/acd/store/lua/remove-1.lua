--[[
  Takes a waiting call out of its queue.
    KEYS[1] calls  hash callId -> waiting call JSON
    ARGV[1] callId
    ARGV[2] now (ms)
    ARGV[3] change channel
  Returns the call JSON, or nil if it was not queued.
]]
--- @include "agent"

local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return nil end
redis.call('HDEL', KEYS[1], ARGV[1])
publishCall(ARGV[3], cjson.decode(raw), 'removed', nil, tonumber(ARGV[2]))
return raw
