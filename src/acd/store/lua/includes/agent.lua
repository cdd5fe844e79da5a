-- Shared fragments of the ACD scripts. They mirror src/acd/agent-state.ts; the store contract
-- tests run against both stores to keep them in step.

-- Leaves a reservation, call or wrap-up: to the pending not-ready if one was asked for, else
-- ready (keeping the idle position when `keepReadySince`, as after a failed or expired offer).
local function becomeIdle(st, now, keepReadySince)
  local previous = st.readySince
  st.callId = nil
  st.queueId = nil
  st.engineId = nil
  st['until'] = nil
  st.notReadyReason = nil
  st.readySince = nil
  st.since = now
  if st.pendingNotReady then
    st.state = 'not-ready'
    st.notReadyReason = st.pendingNotReady
    st.pendingNotReady = nil
  else
    st.state = 'ready'
    if keepReadySince and previous then st.readySince = previous else st.readySince = now end
  end
end

-- Daily counters restart each day (the day is computed by the caller in Asia/Shanghai).
local function rollCounters(st, day)
  if st.counters.day ~= day then
    st.counters = { day = day, callsAnswered = 0, talkSeconds = 0 }
  end
end

local function publishAgent(channel, agentId, previous, st, cause, callId, now)
  local msg = { kind = 'agent', agentId = agentId, state = st.state, previous = previous, cause = cause, at = now }
  if callId then msg.callId = callId end
  redis.call('PUBLISH', channel, cjson.encode(msg))
end

local function publishCall(channel, call, change, agentId, now)
  local msg = { kind = 'call', callId = call.callId, queueId = call.queueId, change = change, at = now }
  if agentId then msg.agentId = agentId end
  redis.call('PUBLISH', channel, cjson.encode(msg))
end

-- The agent holding `callId` in state `state`, or nil and the reason.
local function heldIn(agentsKey, holdsKey, callId, state)
  local agentId = redis.call('HGET', holdsKey, callId)
  if not agentId then return nil, nil, 'no agent holds a reservation for it' end
  local raw = redis.call('HGET', agentsKey, agentId)
  if not raw then return nil, nil, 'no agent holds a reservation for it' end
  local st = cjson.decode(raw)
  if st.callId ~= callId then return nil, nil, 'no agent holds a reservation for it' end
  if st.state ~= state then return nil, nil, 'its agent is ' .. st.state .. ', not ' .. state end
  return agentId, st, nil
end
