--[[
  Puts a call in its queue.
    KEYS[1] calls   hash callId -> waiting call JSON
    KEYS[2] queues  hash queueId -> policy JSON
    ARGV[1] callId
    ARGV[2] call JSON
    ARGV[3] queueId
    ARGV[4] now (ms)
    ARGV[5] change channel
  Returns 'ok', 'no-such-queue' or 'duplicate-call'.
]]
--- @include "agent"

if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 0 then return 'no-such-queue' end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 'duplicate-call' end
publishCall(ARGV[5], { callId = ARGV[1], queueId = ARGV[3] }, 'waiting', nil, tonumber(ARGV[4]))
return 'ok'
