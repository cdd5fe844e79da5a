--[[
  An offer ended unanswered. rona: the agent becomes not-ready (reason rona); busy: ready (or the
  pending not-ready) at the back of the line, device unavailable until it is seen free;
  failed/cancelled: ready (or the pending not-ready). The call waits again, unless cancelled: then
  it is removed.
    KEYS[1] agents  KEYS[2] calls  KEYS[3] holds  KEYS[4] deadlines  KEYS[5] roster
    ARGV[1] callId
    ARGV[2] outcome (rona | busy | failed | cancelled)
    ARGV[3] now (ms)
    ARGV[4] change channel
  Returns { 'ok', definition JSON, status JSON } or { 'no-such-reservation', detail }.
]]
--- @include "agent"

local callId, outcome = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
local agentId, st, why = heldIn(KEYS[1], KEYS[3], callId, 'reserved')
if not agentId then return { 'no-such-reservation', why } end
if outcome == 'rona' then
  st.pendingNotReady = 'rona'
  becomeIdle(st, now, false)
elseif outcome == 'busy' then
  becomeIdle(st, now, false)
  st.deviceAvailable = false
else
  becomeIdle(st, now, true)
end
local encoded = cjson.encode(st)
redis.call('HSET', KEYS[1], agentId, encoded)
redis.call('HDEL', KEYS[3], callId)
redis.call('ZREM', KEYS[4], agentId)
publishAgent(ARGV[4], agentId, 'reserved', st, 'release', callId, now)
local rawCall = redis.call('HGET', KEYS[2], callId)
if rawCall then
  local call = cjson.decode(rawCall)
  if call.offer and call.offer.agentId == agentId then
    if outcome == 'cancelled' then
      redis.call('HDEL', KEYS[2], callId)
      publishCall(ARGV[4], call, 'removed', agentId, now)
    else
      call.offer = nil
      redis.call('HSET', KEYS[2], callId, cjson.encode(call))
      publishCall(ARGV[4], call, 'waiting', nil, now)
    end
  end
end
return { 'ok', redis.call('HGET', KEYS[5], agentId), encoded }
