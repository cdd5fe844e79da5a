--[[
  Puts agents' last known states back after the store lost them (Redis restarted empty), from an
  engine's mirror. Idempotent and safe when several engines do it at once: an agent's status is
  written only if it is absent, or still the one a re-declaration of the roster wrote (then any
  restored state wins), or still the one an earlier restore wrote and the given state is newer
  (entered later). A status written by an agent event since the loss is never overwritten.
    KEYS[1] agents     hash agentId -> status JSON
    KEYS[2] roster     hash agentId -> definition JSON (set only where absent)
    KEYS[3] holds      hash callId -> agentId (for a restored reservation or call)
    KEYS[4] deadlines  zset (a restored reservation's expiry or wrap-up's end)
    KEYS[5] declared   hash agentId -> 'd|' or 'r|' .. the status a declaration / restore wrote
    ARGV[1] change channel
    ARGV[2] now (ms)
    ARGV[3..] triples: agentId, definition JSON, status JSON
  Returns the number of agents whose status was written.
]]
--- @include "agent"

local now = tonumber(ARGV[2])
local restored = 0
for i = 3, #ARGV, 3 do
  local agentId, def, raw = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  redis.call('HSETNX', KEYS[2], agentId, def)
  local current = redis.call('HGET', KEYS[1], agentId)
  local mark = redis.call('HGET', KEYS[5], agentId)
  local st = cjson.decode(raw)
  local write = false
  local previous = 'logged-out'
  if not current then
    write = true
  else
    local cur = cjson.decode(current)
    previous = cur.state
    if mark == 'd|' .. current then
      write = true
    elseif mark == 'r|' .. current and tonumber(st.since) > tonumber(cur.since) then
      write = true
    end
  end
  if write and current ~= raw then
    redis.call('HSET', KEYS[1], agentId, raw)
    redis.call('HSET', KEYS[5], agentId, 'r|' .. raw)
    if (st.state == 'reserved' or st.state == 'wrap-up') and st['until'] then
      redis.call('ZADD', KEYS[4], st['until'], agentId)
    else
      redis.call('ZREM', KEYS[4], agentId)
    end
    if (st.state == 'reserved' or st.state == 'on-call') and st.callId then
      redis.call('HSET', KEYS[3], st.callId, agentId)
    end
    restored = restored + 1
    publishAgent(ARGV[1], agentId, previous, st, 'restore', st.callId, now)
  end
end
return restored
