--[[
  Claims due messages for an attempt: each is leased (its due time moves to the lease end), so
  no other engine takes it meanwhile, and comes back by itself if this engine dies.
    KEYS[1] due      zset id scored by due time (ms)
    KEYS[2] entries  hash id -> entry JSON
    ARGV[1] now (ms)
    ARGV[2] lease end (ms)
    ARGV[3] most messages to claim
  Returns a flat list: id, entry JSON, id, entry JSON, ...
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local entry = redis.call('HGET', KEYS[2], id)
  if entry then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    out[#out + 1] = id
    out[#out + 1] = entry
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
