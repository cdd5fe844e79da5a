--[[
  The claim on one carrier call (its SIP Call-ID) by one node's channel of it; the rules of
  src/telephony/attempt-claims.ts.
    KEYS[1] claim   hash owner -> channel id, answered -> '1' once the owner answered
    ARGV[1] 'claim' | 'force' | 'answered' | 'release'
    ARGV[2] the channel id
    ARGV[3] milliseconds the claim is kept
  Returns, for claim and force: 'serve' | 'wait' | 'refuse'; for answered: 1 while the channel
  holds the claim, else 0; for release: 1 when let go, else 0.
]]
local op, channel, ttl = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('HGET', KEYS[1], 'owner')
local answered = redis.call('HGET', KEYS[1], 'answered') == '1'
if op == 'claim' or op == 'force' then
  if owner == channel then
    redis.call('PEXPIRE', KEYS[1], ttl)
    return 'serve'
  end
  if owner then
    if answered then return 'refuse' end
    if op == 'claim' then return 'wait' end
  end
  redis.call('HSET', KEYS[1], 'owner', channel, 'answered', '0')
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 'serve'
elseif op == 'answered' then
  if owner ~= channel then return 0 end
  redis.call('HSET', KEYS[1], 'answered', '1')
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
elseif op == 'release' then
  if owner ~= channel or answered then return 0 end
  redis.call('DEL', KEYS[1])
  return 1
end
return redis.error_reply('attempt-claim: unknown operation ' .. tostring(op))
