import type { CallEventLog, CallState } from '../../src/calls/core/types.ts';

/** Call states as the session leaves them when a call ends, for the records builder. */
export const T0 = Date.UTC(2026, 2, 2, 1, 0, 0);
const at = (s: number) => T0 + s * 1000;

function base(id: string, events: [number, string, CallEventLog['detail']?][]): CallState {
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
