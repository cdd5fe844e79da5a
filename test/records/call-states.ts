import type { CallEventLog, CallState, EventName } from '../../src/calls/core/types.ts';

/** Call states as the session leaves them when a call ends, for the records builder. */
export const T0 = Date.UTC(2026, 2, 2, 1, 0, 0);
const at = (s: number) => T0 + s * 1000;

function base(id: string, events: [number, EventName, CallEventLog['detail']?][]): CallState {
  return {
    id,
    app: 'hotline',
    callerChannel: id,
    dialed: '12345',
    callerNumber: '13800138000',
    callerName: '',
    line: { id: '12345', name: '12345 政务服务便民热线', mode: 'main', topic: 'general' },
    phase: { id: 'always', kind: 'active' },
    arrivedAt: T0,
    answeredAt: T0 + 200,
    stage: 'ended',
    seq: 10,
    playlist: [],
    timers: {},
    ivrPath: [],
    prompts: ['welcome-12345'],
    events: events.map(([s, what, detail]) => (detail ? { at: at(s), what, detail } : { at: at(s), what })),
  };
}

export function answeredCall(): CallState {
  const s = base('call-answered', [
    [0, 'arrived', { line: '12345', phase: 'always' }],
    [6, 'queued', { queue: 'pool:general', priority: 0 }],
    [20, 'offer', { agent: 'a1001' }],
    [35, 'offer-failed', { agent: 'a1001', cause: 19, outcome: 'rona' }],
    [36, 'offer', { agent: 'a1002' }],
    [40, 'connected', { agent: 'a1002' }],
    [220, 'agent-left', { agent: 'a1002' }],
    [226, 'survey', { score: 5 }],
    [228, 'ended', { cause: 16, disposition: 'answered' }],
  ]);
  s.queue = { kind: 'pool', id: 'general', skill: 'general', priority: 0, enqueuedAt: at(6) };
  s.agent = { agentId: 'a1002', channelId: 'call-answered-a7', answeredAt: at(40) };
  s.disposition = 'answered';
  s.surveyScore = 5;
  s.endedAt = at(228);
  s.hangupCause = 16;
  return s;
}

export function abandonedInQueue(): CallState {
  const s = base('call-abandoned', [
    [0, 'arrived'],
    [3, 'menu', { menu: 'main' }],
    [5, 'key', { digit: '2' }],
    [6, 'queued', { queue: 'expert:12348', priority: 0 }],
    [64, 'ended', { cause: 16, disposition: 'abandoned-queue' }],
  ]);
  s.ivrPath = [{ menu: 'main', keys: '2', outcome: '法律咨询' }];
  s.queue = { kind: 'expert', id: '12348', skill: 'law', priority: 0, enqueuedAt: at(6) };
  s.disposition = 'abandoned-queue';
  s.endedAt = at(64);
  s.hangupCause = 16;
  return s;
}

export function ticketedAfterLongestWait(): CallState {
  const s = base('call-ticketed', [
    [0, 'arrived'],
    [6, 'queued', { queue: 'pool:general', priority: 0 }],
    [90, 'overflow', { from: 'pool:general', to: 'pool:backup' }],
    [306, 'max-wait'],
    [312, 'ended', { cause: 16, disposition: 'ticketed' }],
  ]);
  s.queue = { kind: 'pool', id: 'backup', skill: 'general', priority: 0, enqueuedAt: at(6) };
  s.disposition = 'ticketed';
  s.ticketReason = 'max-wait';
  s.prompts.push('ticket-created');
  s.endedAt = at(312);
  return s;
}

/** The agent made a three-way transfer to the tax sub-center after a failed attempt at customs. */
export function transferredByAgent(): CallState {
  const s = answeredCall();
  s.id = 'call-transferred';
  s.callerChannel = s.id;
  s.dialed = '12366';
  s.line = { id: '12366', name: '纳税服务热线', mode: 'sub-center', topic: 'tax' };
  s.disposition = 'transferred';
  s.surveyScore = undefined;
  s.transfers = [
    {
      id: 'call-transferred-x8',
      mode: 'three-way',
      target: { kind: 'subcenter', id: '12360' },
      startedAt: at(60),
      endedAt: at(80),
      result: 'busy',
      cause: 17,
    },
    {
      id: 'call-transferred-x9',
      mode: 'blind',
      target: { kind: 'subcenter', id: '12366' },
      startedAt: at(90),
      answeredAt: at(98),
      endedAt: at(228),
      result: 'completed',
    },
  ];
  return s;
}

/** Before the session kept a transfer log: an IVR-level transfer known from the event log and `target`. */
export function transferredByIvrWithoutLog(): CallState {
  const s = base('call-ivr-transfer', [
    [0, 'arrived'],
    [4, 'dial', { target: 'emergency:110' }],
    [9, 'target-failed', { target: 'emergency:110', cause: 17 }],
    [10, 'dial', { target: 'emergency:110' }],
    [14, 'target-connected', { target: 'emergency:110' }],
    [100, 'target-left', { cause: 16 }],
    [100, 'ended', { cause: 16, disposition: 'transferred' }],
  ]);
  s.target = {
    kind: 'emergency',
    id: '110',
    channelId: 'call-ivr-transfer-t4',
    startedAt: at(10),
    answeredAt: at(14),
  };
  s.disposition = 'transferred';
  s.endedAt = at(100);
  return s;
}

/**
 * The agent made a three-way call to a sub-center and left it: the caller stays with the target.
 * The agent is no longer on the state; the call is answered all the same.
 */
export function answeredThenLeftThreeWay(): CallState {
  const s = base('call-three-way', [
    [0, 'arrived'],
    [5, 'queued', { queue: 'pool:general', priority: 0 }],
    [8, 'offer', { agent: 'a1001' }],
    [12, 'connected', { agent: 'a1001' }],
    [60, 'transfer', { id: 'call-three-way-x9', mode: 'three-way', target: 'subcenter:12366' }],
    [70, 'transfer-connected', { id: 'call-three-way-x9' }],
    [95, 'agent-left', { agent: 'a1001' }],
    [200, 'target-left', { cause: 16 }],
    [200, 'ended', { cause: 16, disposition: 'transferred' }],
  ]);
  s.queue = { kind: 'pool', id: 'general', skill: 'general', priority: 0, enqueuedAt: at(5) };
  s.queuedAt = at(5);
  s.target = {
    kind: 'subcenter',
    id: '12366',
    channelId: 'call-three-way-t10',
    startedAt: at(60),
    answeredAt: at(70),
  };
  s.targetLogId = 'call-three-way-x9';
  s.transfers = [
    {
      id: 'call-three-way-x9',
      mode: 'three-way',
      target: { kind: 'subcenter', id: '12366' },
      startedAt: at(60),
      answeredAt: at(70),
      endedAt: at(200),
      result: 'completed',
      cause: 16,
    },
  ];
  s.disposition = 'transferred';
  s.endedAt = at(200);
  s.hangupCause = 16;
  return s;
}

/** Overflowed from the general pool to the backup pool after 30 s, answered there; the caller hung up. */
export function overflowedThenAnswered(): CallState {
  const s = base('call-overflowed', [
    [0, 'arrived'],
    [4, 'queued', { queue: 'pool:general', priority: 0 }],
    [34, 'overflow', { from: 'pool:general', to: 'pool:backup' }],
    [34, 'queued', { queue: 'pool:backup', priority: 0 }],
    [40, 'offer', { agent: 'a2001' }],
    [44, 'connected', { agent: 'a2001' }],
    [104, 'ended', { cause: 16, disposition: 'answered' }],
  ]);
  s.queue = { kind: 'pool', id: 'backup', skill: 'general', priority: 0, enqueuedAt: at(4) };
  s.queuedAt = at(34);
  s.agent = { agentId: 'a2001', channelId: 'call-overflowed-a6', answeredAt: at(44) };
  s.disposition = 'answered';
  s.endedAt = at(104);
  s.hangupCause = 16;
  return s;
}

/** The caller hung up while an agent's phone was ringing. */
export function abandonedWhileRinging(): CallState {
  const s = base('call-ringing', [
    [0, 'arrived'],
    [3, 'queued', { queue: 'pool:general', priority: 0 }],
    [9, 'offer', { agent: 'a1001' }],
    [13, 'ended', { cause: 16, disposition: 'abandoned-ringing' }],
  ]);
  s.queue = { kind: 'pool', id: 'general', skill: 'general', priority: 0, enqueuedAt: at(3) };
  s.queuedAt = at(3);
  s.offer = { agentId: 'a1001', endpoint: 'PJSIP/agent1001', channelId: 'call-ringing-a4', offeredAt: at(9) };
  s.disposition = 'abandoned-ringing';
  s.endedAt = at(13);
  s.hangupCause = 16;
  return s;
}

/** Served by the IVR alone (a ticket progress query): never queued. */
export function selfServiceNeverQueued(): CallState {
  const s = base('call-self-service', [
    [0, 'arrived'],
    [3, 'menu', { menu: 'main' }],
    [5, 'key', { digit: '3' }],
    [40, 'ended', { cause: 16, disposition: 'self-service' }],
  ]);
  s.ivrPath = [{ menu: 'main', keys: '3', outcome: '工单查询' }];
  s.disposition = 'self-service';
  s.endedAt = at(40);
  s.hangupCause = 16;
  return s;
}

/** Hung up during the welcome prompt. */
export function abandonedInIvr(): CallState {
  const s = base('call-ivr-abandoned', [
    [0, 'arrived'],
    [2, 'ended', { cause: 16, disposition: 'abandoned-ivr' }],
  ]);
  s.disposition = 'abandoned-ivr';
  s.endedAt = at(2);
  s.hangupCause = 16;
  return s;
}
