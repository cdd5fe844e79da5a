--[[
  Writes an agent's new status if it is still the one the caller read (compare-and-set), for the
  agent events decided in TypeScript by the pure state machine (login, ready, not-ready, logout,
  end of wrap-up, device availability).
    KEYS[1] agents  hash agentId -> status JSON
    ARGV[1] agentId
    ARGV[2] expected status JSON (as read)
    ARGV[3] new status JSON
    ARGV[4] change channel
    ARGV[5] change message JSON ('' for none)
  Returns 1 if written, 0 if the status changed meanwhile (the caller retries).
]]

if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1
