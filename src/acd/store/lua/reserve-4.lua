--[[
  Reserves a ready agent for a waiting call not yet offered, atomically (one round trip).
    KEYS[1] agents     hash agentId -> status JSON
    KEYS[2] calls      hash callId -> waiting call JSON
    KEYS[3] holds      hash callId -> agentId (reserved or on-call)
    KEYS[4] deadlines  zset agentId scored by reservation expiry / wrap-up end (ms)
    ARGV[1] agentId
    ARGV[2] callId
    ARGV[3] engineId
    ARGV[4] now (ms)
    ARGV[5] ttl (ms)
    ARGV[6] change channel
  Returns 'ok' or the refusal: no-such-agent, agent-not-ready, device-unavailable, no-such-call,
  call-already-offered.
]]
--- @include "agent"

local agentId, callId, engineId = ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])
local raw = redis.call('HGET', KEYS[1], agentId)
if not raw then return 'no-such-agent' end
local st = cjson.decode(raw)
if st.state ~= 'ready' then return 'agent-not-ready' end
if not st.deviceAvailable then return 'device-unavailable' end
local rawCall = redis.call('HGET', KEYS[2], callId)
if not rawCall then return 'no-such-call' end
local call = cjson.decode(rawCall)
if call.offer then return 'call-already-offered' end

local expiry = now + tonumber(ARGV[5])
st.state = 'reserved'
st.since = now
st.callId = callId
st.queueId = call.queueId
st.engineId = engineId
st['until'] = expiry
st.lastOfferAt = now
call.offer = { agentId = agentId, engineId = engineId, ['until'] = expiry }
redis.call('HSET', KEYS[1], agentId, cjson.encode(st))
redis.call('HSET', KEYS[2], callId, cjson.encode(call))
redis.call('HSET', KEYS[3], callId, agentId)
redis.call('ZADD', KEYS[4], expiry, agentId)
publishAgent(ARGV[6], agentId, 'ready', st, 'reserve', callId, now)
publishCall(ARGV[6], call, 'offered', agentId, now)
return 'ok'
