--[[
  Appends a message to the records stream once per idempotency key: a second add of the same
  key (a retry after a lost reply) returns the first entry's id and adds nothing.
    KEYS[1] stream
    KEYS[2] seen key of this idempotency key (holds the stream entry id)
    ARGV[1] approximate most entries the stream keeps (MAXLEN ~)
    ARGV[2] how long the seen key lives (ms)
    ARGV[3...] field, value pairs of the entry
  Returns the stream entry id.
]]
local seen = redis.call('GET', KEYS[2])
if seen then return seen end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], id, 'PX', ARGV[2])
return id
