--[[
  Puts dead letters back in the outbox, due now, with their attempts reset.
    KEYS[1] entries  hash id -> entry JSON
    KEYS[2] due      zset id scored by due time (ms)
    KEYS[3] dead     zset id scored by the time it was buried (ms)
    ARGV[1] now (ms)
    ARGV[2...] ids to replay; none means every dead letter
  Returns how many were replayed.
]]
local ids = {}
if #ARGV > 1 then
  for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  ids = redis.call('ZRANGE', KEYS[3], 0, -1)
end
local replayed = 0
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', KEYS[1], id)
  if raw and redis.call('ZREM', KEYS[3], id) == 1 then
    local entry = cjson.decode(raw)
    entry.attempts = 0
    entry.lastError = nil
    entry.nextAt = tonumber(ARGV[1])
    redis.call('HSET', KEYS[1], id, cjson.encode(entry))
    redis.call('ZADD', KEYS[2], ARGV[1], id)
    replayed = replayed + 1
  end
end
return replayed
