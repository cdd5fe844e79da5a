--[[
  The agent answered the offered call: reserved -> on-call; the call leaves its queue.
    KEYS[1] agents  KEYS[2] calls  KEYS[3] holds  KEYS[4] deadlines  KEYS[5] roster
    ARGV[1] callId
    ARGV[2] now (ms)
    ARGV[3] today (YYYY-MM-DD, Asia/Shanghai)
    ARGV[4] change channel
  Returns { 'ok', definition JSON, status JSON } or { 'no-such-reservation', detail }.
]]
--- @include "agent"

local callId = ARGV[1]
local now = tonumber(ARGV[2])
local agentId, st, why = heldIn(KEYS[1], KEYS[3], callId, 'reserved')
if not agentId then return { 'no-such-reservation', why } end
rollCounters(st, ARGV[3])
st.counters.callsAnswered = st.counters.callsAnswered + 1
st.state = 'on-call'
st.since = now
st['until'] = nil
local encoded = cjson.encode(st)
redis.call('HSET', KEYS[1], agentId, encoded)
redis.call('ZREM', KEYS[4], agentId)
publishAgent(ARGV[4], agentId, 'reserved', st, 'answer', callId, now)
local rawCall = redis.call('HGET', KEYS[2], callId)
if rawCall then
  redis.call('HDEL', KEYS[2], callId)
  publishCall(ARGV[4], cjson.decode(rawCall), 'removed', agentId, now)
end
return { 'ok', redis.call('HGET', KEYS[5], agentId), encoded }
