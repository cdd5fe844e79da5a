--[[
  The call ended: on-call -> wrap-up for the queue's wrap-up time (or straight to ready / the
  pending not-ready when it is zero).
    KEYS[1] agents  KEYS[2] holds  KEYS[3] deadlines  KEYS[4] roster
    KEYS[5] queues  hash queueId -> policy JSON
    ARGV[1] callId
    ARGV[2] talk seconds
    ARGV[3] now (ms)
    ARGV[4] today (YYYY-MM-DD, Asia/Shanghai)
    ARGV[5] change channel
  Returns { 'ok', definition JSON, status JSON } or { 'no-such-reservation', detail }.
]]
--- @include "agent"

local callId = ARGV[1]
local now = tonumber(ARGV[3])
local agentId, st, why = heldIn(KEYS[1], KEYS[2], callId, 'on-call')
if not agentId then return { 'no-such-reservation', why } end
local wrapUp = 0
if st.queueId then
  local rawPolicy = redis.call('HGET', KEYS[5], st.queueId)
  if rawPolicy then wrapUp = tonumber(cjson.decode(rawPolicy).wrapUpSeconds) or 0 end
end
rollCounters(st, ARGV[4])
local talk = tonumber(ARGV[2])
if talk < 0 then talk = 0 end
st.counters.talkSeconds = st.counters.talkSeconds + talk
st.counters.lastCallEndAt = now
if wrapUp <= 0 then
  becomeIdle(st, now, false)
else
  st.state = 'wrap-up'
  st.since = now
  st.engineId = nil
  st['until'] = now + wrapUp * 1000
  redis.call('ZADD', KEYS[3], st['until'], agentId)
end
local encoded = cjson.encode(st)
redis.call('HSET', KEYS[1], agentId, encoded)
redis.call('HDEL', KEYS[2], callId)
publishAgent(ARGV[5], agentId, 'on-call', st, 'complete', callId, now)
return { 'ok', redis.call('HGET', KEYS[4], agentId), encoded }
