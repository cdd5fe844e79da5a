--[[
  Counts one fact of a call in the day's slots, once: a fact already counted for the call
  (another stage, a restored call, another engine) changes nothing.
    KEYS[1] counts   hash '<slot>:<field>' -> count, 'line:<id>' -> calls
    KEYS[2] counted  set of '<callId>|<fact key>'
    ARGV[1] '<callId>|<fact key>'
    ARGV[2] seconds both keys are kept
    ARGV[3], ARGV[4], ... pairs of a counts field and its increment
  Returns 1 when counted, 0 when it had been.
]]
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
