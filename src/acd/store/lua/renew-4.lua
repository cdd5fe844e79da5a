--[[
  Extends a reservation still held by the engine.
    KEYS[1] agents  KEYS[2] calls  KEYS[3] holds  KEYS[4] deadlines
    ARGV[1] callId
    ARGV[2] engineId
    ARGV[3] now (ms)
    ARGV[4] ttl (ms)
  Returns 1 if renewed, 0 if the reservation is no longer held by that engine.
]]
--- @include "agent"

local callId = ARGV[1]
local agentId, st = heldIn(KEYS[1], KEYS[3], callId, 'reserved')
if not agentId or st.engineId ~= ARGV[2] then return 0 end
local expiry = tonumber(ARGV[3]) + tonumber(ARGV[4])
if st['until'] and st['until'] > expiry then expiry = st['until'] end
st['until'] = expiry
redis.call('HSET', KEYS[1], agentId, cjson.encode(st))
redis.call('ZADD', KEYS[4], expiry, agentId)
local rawCall = redis.call('HGET', KEYS[2], callId)
if rawCall then
  local call = cjson.decode(rawCall)
  if call.offer and call.offer.agentId == agentId then
    call.offer['until'] = expiry
    redis.call('HSET', KEYS[2], callId, cjson.encode(call))
  end
end
return 1
