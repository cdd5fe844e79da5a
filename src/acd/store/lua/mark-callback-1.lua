--[[
  Marks a waiting call as a call-back: the caller hung up to be called back; the call keeps its
  place in the queue (its enqueuedAt and priority) and any offer under way.
    KEYS[1] calls  hash callId -> waiting call JSON
    ARGV[1] callId
    ARGV[2] requestedAt (ms)
  Returns the call JSON as now stored, or nil if it is not queued.
]]

local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return nil end
local call = cjson.decode(raw)
call.callback = { requestedAt = tonumber(ARGV[2]) }
local out = cjson.encode(call)
redis.call('HSET', KEYS[1], ARGV[1], out)
return out
