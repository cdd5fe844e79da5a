--[[
  Records a failed attempt and when to try again, unless the message has left the outbox meanwhile.
    KEYS[1] entries  hash id -> entry JSON
    KEYS[2] due      zset id scored by due time (ms)
    ARGV[1] id
    ARGV[2] entry JSON (attempts and last error updated)
    ARGV[3] next attempt (ms)
  Returns 1, or 0 when the message is no longer pending.
]]
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
