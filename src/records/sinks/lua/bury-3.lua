--[[
  Moves a pending message to the dead-letter list.
    KEYS[1] entries  hash id -> entry JSON
    KEYS[2] due      zset id scored by due time (ms)
    KEYS[3] dead     zset id scored by the time it was buried (ms)
    ARGV[1] id
    ARGV[2] entry JSON (attempts and last error updated)
    ARGV[3] now (ms)
  Returns 1, or 0 when the message is no longer pending.
]]
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1
