--[[
  Adds messages to the outbox; a message whose id is already there (pending or dead) is left as it is.
    KEYS[1] entries  hash id -> entry JSON
    KEYS[2] due      zset id scored by the time its next attempt is due (ms)
    ARGV    triples: id, entry JSON, due time (ms)
  Returns how many were new.
]]
local added = 0
for i = 1, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[i])
    added = added + 1
  end
end
return added
