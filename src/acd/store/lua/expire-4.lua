--[[
  Expires reservations whose engine stopped renewing them (the agent returns to ready, the call
  waits again if still queued) and ends wrap-ups that are due. Safe to run from every engine.
    KEYS[1] agents  KEYS[2] calls  KEYS[3] holds  KEYS[4] deadlines
    ARGV[1] now (ms)
    ARGV[2] change channel
    ARGV[3] at most this many agents per run
  Returns the number of agents changed.
]]
--- @include "agent"

local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local changed = 0
for _, agentId in ipairs(due) do
  redis.call('ZREM', KEYS[4], agentId)
  local raw = redis.call('HGET', KEYS[1], agentId)
  if raw then
    local st = cjson.decode(raw)
    local expiry = st['until']
    if expiry and expiry <= now and (st.state == 'reserved' or st.state == 'wrap-up') then
      local previous, callId = st.state, st.callId
      becomeIdle(st, now, previous == 'reserved')
      redis.call('HSET', KEYS[1], agentId, cjson.encode(st))
      changed = changed + 1
      if previous == 'reserved' then
        publishAgent(ARGV[2], agentId, previous, st, 'reservation-expired', callId, now)
        redis.call('HDEL', KEYS[3], callId)
        local rawCall = redis.call('HGET', KEYS[2], callId)
        if rawCall then
          local call = cjson.decode(rawCall)
          if call.offer and call.offer.agentId == agentId then
            call.offer = nil
            redis.call('HSET', KEYS[2], callId, cjson.encode(call))
            publishCall(ARGV[2], call, 'waiting', nil, now)
          end
        end
      else
        publishAgent(ARGV[2], agentId, previous, st, 'wrap-up-expired', callId, now)
      end
    end
  end
end
return changed
