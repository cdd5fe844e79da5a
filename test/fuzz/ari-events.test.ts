import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallState, Stage } from '../../src/calls/core/types.ts';
import { createLogger } from '../../src/log.ts';
import type { CallerStep, EndpointSettings } from '../../src/sim/index.ts';
import { readAriEvent } from '../../src/telephony/ari/ari-events.ts';
import { plans, type Rig, startRig } from '../support/engine-harness.ts';
import {
  ARI_ID,
  buildFrame,
  type ExpectedWarning,
  FORGED_CALLER,
  type FrameContext,
  frame,
  mutate,
  mutation,
  required,
  templates,
  usedTypes,
} from './ari-frames.ts';

/**
 * Property-based fuzzing of what the engine receives from Asterisk: generated call scenarios
 * through the simulator and the real ari-client, then malformed and unexpected frames on the
 * event WebSocket. Seeds are fixed; fast-check prints the seed, path and counterexample of a
 * failure. An exception escaping into the process fails the run (vitest reports it).
 */

/** pino lines written while a rig runs, parsed. */
class LogCapture {
  readonly lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  write(line: string): void {
    this.lines.push(JSON.parse(line));
  }
}

/** Unhandled rejections and listener-leak warnings of the process. */
const trouble: string[] = [];
const onRejection = (reason: unknown) => trouble.push(`unhandled rejection: ${String(reason)}`);
const onWarning = (w: Error) => {
  if (w.name === 'MaxListenersExceededWarning') trouble.push(`listener leak: ${w.message}`);
};
beforeAll(() => {
  process.on('unhandledRejection', onRejection);
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('unhandledRejection', onRejection);
  process.off('warning', onWarning);
});

/**
 * Properties over a running rig do not shrink a counterexample by default (each try takes
 * seconds); FUZZ_SHRINK=1 lets fast-check shrink it.
 */
const SHRINK = process.env.FUZZ_SHRINK === '1';

const busyStates = new Set(['reserved', 'on-call']);

async function busyAgents(rig: Rig): Promise<string[]> {
  const agents = await rig.hotline.store.listAgents();
  return agents.filter((a) => busyStates.has(a.status.state)).map((a) => `${a.id}:${a.status.state}`);
}

/** Waits until each of `ids` has a record and nothing is left: channels, bridges, live calls, busy agents. */
async function allSettled(rig: Rig, ids: string[], recordMark: number): Promise<void> {
  const mine = new Set(ids);
  const done = async () =>
    rig.records.records.slice(recordMark).filter((r) => mine.has(r.callId)).length >= ids.length &&
    rig.sim.stats().liveChannels === 0 &&
    rig.sim.stats().liveBridges === 0 &&
    rig.hotline.engine.liveCalls().length === 0 &&
    (await busyAgents(rig)).length === 0;
  try {
    await rig.runUntil('every call ended and nothing left behind', done);
  } catch (err) {
    const left = {
      records: rig.records.records.slice(recordMark).map((r) => r.callId),
      channels: rig.sim.channels().map((c) => ({ id: c.id, kind: c.kind, state: c.state })),
      bridges: rig.sim.bridges().map((b) => b.id),
      live: rig.hotline.engine.liveCalls().map((c) => ({ id: c.id, stage: c.stage })),
      busy: await busyAgents(rig),
    };
    throw new Error(`${(err as Error).message}: ${JSON.stringify(left)}`);
  }
}

function hangUpCallers(rig: Rig, ids: Iterable<string>): void {
  for (const id of ids) {
    try {
      rig.sim.hangup(id);
    } catch {
      // gone already
    }
  }
}

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

// ---------------------------------------------------------------------------------------------
// Generated call scenarios through the simulator (the Jilin plan: a level menu, one pool, and
// the province's center behind key 2)
// ---------------------------------------------------------------------------------------------

const AGENTS = ['c1', 'c2', 'c3', 'c4'];
const CENTER_ENDPOINT = 'PJSIP/12345@jilin-province';

/** DTMF the simulator sends: the 16 keys in both cases, single keys, short strings and floods. */
const dtmfKeys = fc.constantFrom(...'0123456789*#ABCDabcd');
const dtmf = fc.oneof(
  dtmfKeys,
  // The menu's own keys (1: the city's agents, 2: the province's center).
  fc.constantFrom('1', '2'),
  fc.array(dtmfKeys, { minLength: 1, maxLength: 8 }).map((a) => a.join('')),
  fc
    .tuple(fc.array(dtmfKeys, { minLength: 1, maxLength: 4 }), fc.integer({ min: 20, max: 120 }))
    .map(([a, n]) => a.join('').repeat(n)),
);

const step: fc.Arbitrary<CallerStep> = fc.oneof(
  fc.record({ wait: fc.integer({ min: 0, max: 15_000 }) }),
  fc.record({
    dtmf,
    gapMs: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
    durationMs: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
  }),
  fc.record({
    waitForEvent: fc.constantFrom('answered' as const, 'bridged' as const, 'playback' as const),
    timeoutMs: fc.integer({ min: 0, max: 20_000 }),
  }),
);

const callerNumber = fc.oneof(
  fc.constantFrom('13800138000', '', '+8613800138000', 'anonymous', 'anonymous<script>', '0', '9'.repeat(80)),
  fc.stringMatching(/^\+?[0-9]{3,20}$/),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const dialed = fc.oneof(
  fc.constant('12345'),
  fc.constant('12345'),
  fc.stringMatching(/^[0-9]{1,12}$/),
  fc.constantFrom('110', '12366', '*', '#', 's', 'unknown', 'x'.repeat(80)),
  fc.string({ minLength: 1, maxLength: 20 }),
);

const stages: Stage[] = [
  'ivr',
  'queued',
  'ringing',
  'talking',
  'dialing',
  'transferred',
  'survey',
  'closing',
];

const call = fc.record({
  dialed,
  callerNumber,
  callerName: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
  startOn: fc.option(fc.constantFrom('answer' as const, 'enter' as const), { nil: undefined }),
  script: fc.array(step, { maxLength: 5 }),
  hangsUpAtEnd: fc.boolean(),
  /** Something the caller does when the call reaches a stage, `delay` × SPEED ms of call time later. */
  atStage: fc.option(
    fc.record({
      stage: fc.constantFrom(...stages),
      action: fc.oneof(
        fc.constant({ hangup: true as const }),
        dtmf.map((d) => ({ dtmf: d })),
      ),
      delay: fc.integer({ min: 0, max: 40 }),
    }),
    { nil: undefined },
  ),
  /** When the call arrives after the run starts, in ms × SPEED of call time. */
  arriveAfter: fc.integer({ min: 0, max: 150 }),
});

const endpoint: fc.Arbitrary<EndpointSettings & { agent: 'ready' | 'not-ready' | 'logged-out' }> = fc.record({
  behaviour: fc.constantFrom(
    'answer' as const,
    'answer' as const,
    'busy' as const,
    'no-answer' as const,
    'unreachable' as const,
  ),
  answerAfterMs: fc.integer({ min: 0, max: 12_000 }),
  hangupAfterMs: fc.option(fc.integer({ min: 0, max: 25_000 }), { nil: undefined }),
  online: fc.constantFrom(true, true, true, false),
  dtmfAfterAnswer: fc.option(dtmf, { nil: undefined }),
  agent: fc.constantFrom(
    'ready' as const,
    'ready' as const,
    'ready' as const,
    'not-ready' as const,
    'logged-out' as const,
  ),
});

const scenario = fc.record({
  agents: fc.array(endpoint, { minLength: AGENTS.length, maxLength: AGENTS.length }),
  center: fc.record({
    behaviour: fc.constantFrom(
      'answer' as const,
      'busy' as const,
      'no-answer' as const,
      'unreachable' as const,
    ),
    answerAfterMs: fc.integer({ min: 0, max: 20_000 }),
    hangupAfterMs: fc.integer({ min: 0, max: 30_000 }),
  }),
  calls: fc.array(call, { minLength: 1, maxLength: 6 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/**
 * The generated delays were real ms when this ran 100× faster than the wall clock; they are
 * scaled by SPEED into ms of call (virtual) time, so the same seed makes the same scenarios.
 */
const SPEED = 100;
/** Callers still on the line after this much call time hang up (600 ms at speed 100). */
const DEADLINE_MS = 60_000;

async function prepareAgents(rig: Rig, s: Scenario): Promise<void> {
  const store = rig.hotline.store;
  for (const [i, id] of AGENTS.entries()) {
    const { agent: wanted, hangupAfterMs, dtmfAfterAnswer, ...settings } = s.agents[i]!;
    const endpoint = `PJSIP/${id}`;
    rig.sim.setEndpoint(endpoint, {
      ...settings,
      ...(hangupAfterMs !== undefined ? { hangupAfterMs } : {}),
      ...(dtmfAfterAnswer !== undefined ? { dtmfAfterAnswer } : {}),
    });
    let state = (await store.getAgent(id))!.status.state;
    if (state === 'logged-out' && wanted !== 'logged-out') {
      await store.login(id, endpoint);
      state = (await store.getAgent(id))!.status.state;
    }
    if (wanted === 'logged-out') {
      if (state !== 'logged-out') await store.logout(id);
      continue;
    }
    await store.setDeviceAvailable(id, settings.online ?? true);
    if (wanted === 'ready') await store.ready(id);
    else await store.notReady(id, 'break');
  }
  rig.sim.setEndpoint(CENTER_ENDPOINT, { ...s.center, online: true });
}

type StageAction = NonNullable<Scenario['calls'][number]['atStage']>;

describe('the engine under generated call scenarios through the simulator', () => {
  const log = new LogCapture();
  let rig: Rig;
  const atStage = new Map<string, StageAction>();
  const reached = new Map<string, number>();
  const acted = new Map<string, number>();

  beforeAll(async () => {
    rig = await startRig({
      plan: plans.jilin(),
      roster: AGENTS.map((id) => ({ id, name: id, pools: ['changchun'], skills: { general: 5 } })),
      logger: createLogger({ level: 'warn', destination: log }),
    });
    rig.hotline.engine.onStage((state) => {
      count(reached, state.stage);
      const action = atStage.get(state.id);
      if (!action || action.stage !== state.stage) return;
      atStage.delete(state.id);
      count(acted, `${state.stage}:${'hangup' in action.action ? 'hangup' : 'dtmf'}`);
      rig.clock.after(action.delay * SPEED, () => {
        try {
          if ('hangup' in action.action) rig.sim.hangup(state.callerChannel);
          else rig.sim.sendDtmf(state.callerChannel, action.action.dtmf, 50);
        } catch {
          // the caller is gone already
        }
      });
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('ends every call with exactly one record and leaves no channel, bridge, live call or busy agent, whatever callers and agents do', async () => {
    const injected: string[] = [];
    const dispositions = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const logMark = log.lines.length;
        const recordMark = rig.records.records.length;
        const troubleMark = trouble.length;
        await prepareAgents(rig, s);
        const started = rig.clock.now();
        const arrived: (string | undefined)[] = s.calls.map(() => undefined);
        for (const [i, c] of s.calls.entries()) {
          rig.clock.after(c.arriveAfter * SPEED, () => {
            const call = rig.sim.injectCall({
              app: 'hotline',
              dialed: c.dialed,
              callerNumber: c.callerNumber,
              ...(c.callerName !== undefined ? { callerName: c.callerName } : {}),
              ...(c.startOn !== undefined ? { startOn: c.startOn } : {}),
              script: c.hangsUpAtEnd ? [...c.script, { hangup: true }] : c.script,
            });
            if (c.atStage) atStage.set(call.channelId, c.atStage);
            arrived[i] = call.channelId;
          });
        }
        await rig.runUntil('the calls to arrive', () => arrived.every((id) => id !== undefined));
        const ids = arrived as string[];
        injected.push(...ids);
        const mine = new Set(ids);
        const ended = () => rig.records.records.slice(recordMark).filter((r) => mine.has(r.callId)).length;
        // Callers still on the line at the deadline hang up.
        await rig
          .runUntil('the calls to end by themselves', () => ended() === ids.length, {
            maxVirtualMs: Math.max(0, DEADLINE_MS - (rig.clock.now() - started)),
          })
          .catch(() => undefined);
        hangUpCallers(
          rig,
          rig.sim
            .channels()
            .filter((c) => c.kind === 'inbound' && mine.has(c.id))
            .map((c) => c.id),
        );
        await allSettled(rig, ids, recordMark);
        atStage.clear();

        const records = rig.records.records.slice(recordMark);
        for (const id of ids)
          expect(
            records.filter((r) => r.callId === id),
            `records of ${id}`,
          ).toHaveLength(1);
        expect(
          records.filter((r) => !mine.has(r.callId)),
          'records of calls nobody made',
        ).toEqual([]);
        for (const r of records) count(dispositions, r.disposition);
        expect(trouble.slice(troubleMark)).toEqual([]);
        const errors = log.lines.slice(logMark).filter((l) => l.level >= 50);
        expect(errors.map((l) => l.msg)).toEqual([]);
      }),
      { numRuns: 35, seed: 12345, endOnFailure: !SHRINK },
    );
    // Over all runs: one record per call, and the scenarios reached every stage of a call.
    const perCall = new Map<string, number>();
    for (const r of rig.records.records) count(perCall, r.callId);
    expect([...perCall.keys()].sort()).toEqual([...injected].sort());
    expect([...perCall.values()].every((n) => n === 1)).toBe(true);
    for (const stage of ['ivr', 'queued', 'ringing', 'talking'])
      expect(reached.get(stage) ?? 0, `calls that reached ${stage}`).toBeGreaterThan(0);
    expect(acted.size).toBeGreaterThan(4);
    console.info('call scenarios', {
      calls: injected.length,
      dispositions: Object.fromEntries(dispositions),
      reached: Object.fromEntries(reached),
      actionsAtStage: Object.fromEntries(acted),
    });
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------
// Malformed and unexpected events on the wire
// ---------------------------------------------------------------------------------------------

const WITNESS_AGENTS = ['w1', 'w2'];

const wireRun = fc.record({
  witnesses: fc.integer({ min: 1, max: 3 }),
  agents: fc.array(
    fc.record({
      answerAfterMs: fc.integer({ min: 0, max: 4000 }),
      hangupAfterMs: fc.option(fc.integer({ min: 500, max: 20_000 }), { nil: undefined }),
    }),
    { minLength: WITNESS_AGENTS.length, maxLength: WITNESS_AGENTS.length },
  ),
  /** How long the calls run before the first frame, and after the last before their callers hang up, and the gaps between frames: ms × WIRE_SPEED of call time. */
  before: fc.integer({ min: 0, max: 120 }),
  after: fc.integer({ min: 0, max: 60 }),
  frames: fc.array(fc.record({ frame, gap: fc.integer({ min: 0, max: 10 }) }), {
    minLength: 1,
    maxLength: 30,
  }),
});

/** Drops the warning matching `e` from `warnings`; false when there is none. */
function takeWarning(warnings: LogCapture['lines'], e: ExpectedWarning): boolean {
  const i = warnings.findIndex(
    (l) =>
      l.msg.startsWith(e.msg) &&
      (e.event === undefined || l.event === e.event) &&
      (e.field === undefined || l.field === e.field),
  );
  if (i >= 0) warnings.splice(i, 1);
  return i >= 0;
}

/** The wire run's generated times were real ms at 50× the wall clock: ms of call time = × WIRE_SPEED. */
const WIRE_SPEED = 50;

describe('the engine under malformed and unexpected ARI events', () => {
  const log = new LogCapture();
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({
      roster: WITNESS_AGENTS.map((id) => ({ id, name: id, pools: ['general'], skills: { general: 5 } })),
      logger: createLogger({ level: 'warn', destination: log }),
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('drops each bad event with a warning naming its type or field, while the calls in progress end normally with their records', async () => {
    const ended: string[] = [];
    let seq = 0;
    const sent = new Map<string, number>();
    const warned = new Map<string, number>();
    let expectations = 0;
    await fc.assert(
      fc.asyncProperty(wireRun, async (run) => {
        const logMark = log.lines.length;
        const recordMark = rig.records.records.length;
        const troubleMark = trouble.length;
        const rejectedBefore = rig.hotline.telephony.eventsRejected;
        for (const [i, id] of WITNESS_AGENTS.entries()) {
          const a = run.agents[i]!;
          rig.sim.setEndpoint(`PJSIP/${id}`, {
            behaviour: 'answer',
            answerAfterMs: a.answerAfterMs,
            ...(a.hangupAfterMs !== undefined ? { hangupAfterMs: a.hangupAfterMs } : {}),
            online: true,
          });
          const agent = (await rig.hotline.store.getAgent(id))!;
          if (agent.status.state === 'logged-out') await rig.hotline.store.login(id, `PJSIP/${id}`);
          await rig.hotline.store.setDeviceAvailable(id, true);
          await rig.hotline.store.ready(id);
        }
        const witnesses = Array.from(
          { length: run.witnesses },
          (_, i) =>
            rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1380013800${i}` }).channelId,
        );
        await rig.runUntil('the engine to take the calls', () =>
          witnesses.every((id) => rig.hotline.engine.call(id) !== undefined),
        );
        await rig.advance(run.before * WIRE_SPEED);
        const ctx: FrameContext = {
          live: witnesses.filter((id) => rig.hotline.engine.call(id) !== undefined),
          ended,
          agents: WITNESS_AGENTS,
          fresh: () => `1795599999.${++seq}`,
        };
        const expected: ExpectedWarning[] = [];
        for (const [n, { frame: f, gap }] of run.frames.entries()) {
          const { text, expected: e } = buildFrame(f, ctx, n);
          if (e) expected.push(e);
          count(sent, f.kind === 'event' ? `${f.kind}:${f.id.ref}` : f.kind);
          expect(rig.sim.injectRawEvent('hotline', text)).toBe(true);
          await rig.advance(gap * WIRE_SPEED);
        }
        await rig.advance(run.after * WIRE_SPEED);
        hangUpCallers(rig, witnesses);
        // The witnesses' ends come after the frames on the same WebSocket: once they are
        // recorded, every frame has been read.
        await allSettled(rig, witnesses, recordMark);
        ended.push(...witnesses);

        const records = rig.records.records.slice(recordMark);
        for (const id of witnesses)
          expect(
            records.filter((r) => r.callId === id),
            `records of ${id}`,
          ).toHaveLength(1);
        // A replayed StasisStart must not start an ended call again.
        expect(rig.records.records.filter((r) => ended.includes(r.callId))).toHaveLength(ended.length);
        expect(trouble.slice(troubleMark)).toEqual([]);
        const lines = log.lines.slice(logMark);
        const errors = lines.filter(
          (l) => l.level >= 50 && l.msg !== 'another connection took over this Stasis app',
        );
        expect(errors.map((l) => l.msg)).toEqual([]);
        const eventWarnings = lines.filter((l) => l.msg.startsWith('ARI event'));
        for (const w of eventWarnings) {
          count(warned, w.msg);
          if (w.msg === 'ARI event dropped: not JSON') expect(w.bytes).toBeTypeOf('number');
          else if (w.msg === 'ARI event fields ignored') expect(w.fields).toBeInstanceOf(Array);
          else
            expect(typeof w.event === 'string' || typeof w.field === 'string', JSON.stringify(w)).toBe(true);
        }
        const drops = eventWarnings.filter((l) => l.msg !== 'ARI event fields ignored');
        expect(drops.length).toBe(rig.hotline.telephony.eventsRejected - rejectedBefore);
        expectations += expected.length;
        for (const e of expected)
          expect(takeWarning(drops, e), `a warning ${JSON.stringify(e)} among ${JSON.stringify(drops)}`).toBe(
            true,
          );
        // Nothing of the payloads is logged: no caller number, no huge value.
        for (const l of lines) {
          const text = JSON.stringify(l);
          expect(text).not.toContain(FORGED_CALLER);
          expect(text.length).toBeLessThan(2000);
        }
      }),
      { numRuns: 150, seed: 20261124, endOnFailure: !SHRINK },
    );
    expect(expectations).toBeGreaterThan(300);
    console.info('ARI frames', {
      sent: Object.fromEntries(sent),
      warnings: Object.fromEntries(warned),
      expectations,
    });
  }, 90_000);
});

describe('reading the ARI events the engine uses', () => {
  it('names the field of every event it rejects, and passes on only ids, digits and texts of the right shape', () => {
    const verdicts = new Map<string, number>();
    const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
    fc.assert(
      fc.property(fc.constantFrom(...usedTypes), fc.array(mutation, { maxLength: 3 }), (type, mutations) => {
        const template = templates[type]('1795500000.7');
        expect(readAriEvent(template)).toMatchObject({ kind: 'event', leftOut: [] });
        const { event, changed } = mutate(template, mutations);
        const reading = readAriEvent(event);
        count(verdicts, reading.kind);
        if (reading.kind === 'rejected') {
          // Only a change can make the event invalid, and the field named is the one changed.
          expect(
            changed.some((c) => related(reading.field, c.path)),
            `${reading.field} among ${JSON.stringify(changed)}`,
          ).toBe(true);
          expect(reading.problem.length).toBeGreaterThan(3);
          return;
        }
        expect(reading.kind).toBe('event');
        if (reading.kind !== 'event') return;
        for (const f of reading.leftOut) expect(changed.some((c) => related(f, c.path))).toBe(true);
        const e = reading.event;
        if ('channel' in e) expect(e.channel.id).toMatch(ARI_ID);
        if (e.type === 'PlaybackFinished') expect(e.playback.id).toMatch(ARI_ID);
        if (e.type === 'ChannelDtmfReceived') expect(e.digit).toMatch(/^[0-9A-Da-d*#]$/);
        if (e.type === 'StasisStart') {
          for (const text of [e.channel.caller?.number, e.channel.caller?.name, e.channel.dialplan?.exten])
            if (text !== undefined) expect(typeof text).toBe('string');
          for (const arg of e.args ?? []) expect(typeof arg).toBe('string');
        }
        for (const f of required[type]) expect(changed.some((c) => c.removed && c.path === f)).toBe(false);
      }),
      { numRuns: 4000, seed: 424242 },
    );
    expect(verdicts.get('rejected') ?? 0).toBeGreaterThan(500);
    expect(verdicts.get('event') ?? 0).toBeGreaterThan(500);
  });
});

// ---------------------------------------------------------------------------------------------
// Regressions the fuzz found
// ---------------------------------------------------------------------------------------------

describe('events about channels that do not exist, and frames that cannot be read', () => {
  const log = new LogCapture();
  let rig: Rig;
  const endedCalls: CallState[] = [];
  beforeAll(async () => {
    rig = await startRig({
      roster: [{ id: 'r1', name: 'r1', pools: ['general'], skills: { general: 5 } }],
      logger: createLogger({ level: 'warn', destination: log }),
    });
    rig.hotline.engine.onEnded((state) => endedCalls.push(state));
    rig.sim.setEndpoint('PJSIP/r1', { behaviour: 'answer', answerAfterMs: 200, online: true });
    await rig.hotline.store.login('r1', 'PJSIP/r1');
    await rig.hotline.store.setDeviceAvailable('r1', true);
    await rig.hotline.store.ready('r1');
  });
  afterAll(async () => {
    await rig?.close();
  });

  /** Serves a real call: once the engine has it, every frame sent before has been read. */
  async function realCall(n: number): Promise<void> {
    const recordMark = rig.records.records.length;
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: `1380013811${n}`,
    });
    await rig.runUntil('the engine to take the call', () => rig.hotline.engine.call(channelId) !== undefined);
    rig.sim.hangup(channelId);
    await allSettled(rig, [channelId], recordMark);
  }

  it('ends a call at once when Asterisk cannot answer its channel, and never rings an agent for it', async () => {
    const recordMark = rig.records.records.length;
    const paths: string[] = [];
    const off = rig.sim.onRest((e) => paths.push(`${e.method} ${e.path}`));
    const id = '1795598888.1';
    rig.sim.injectRawEvent('hotline', templates.StasisStart(id));
    await allSettled(rig, [id], recordMark);
    off();
    const record = rig.records.records.find((r) => r.callId === id)!;
    expect(record.disposition).toBe('abandoned-ivr');
    expect(paths.filter((p) => p.startsWith(`POST /channels/${id}-`))).toEqual([]);
    expect((await rig.hotline.store.getAgent('r1'))!.status.state).toBe('ready');
  });

  it('refuses a StasisStart replayed for a channel already destroyed, so the call is not started twice', async () => {
    const recordMark = rig.records.records.length;
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138120',
    });
    await rig.runUntil('the engine to take the call', () => rig.hotline.engine.call(channelId) !== undefined);
    rig.sim.hangup(channelId);
    await allSettled(rig, [channelId], recordMark);
    const logMark = log.lines.length;
    rig.sim.injectRawEvent('hotline', templates.StasisStart(channelId));
    await realCall(1);
    expect(rig.records.records.filter((r) => r.callId === channelId)).toHaveLength(1);
    expect(log.lines.slice(logMark)).toContainEqual(
      expect.objectContaining({ msg: 'ARI event rejected', event: 'StasisStart', field: 'channel.id' }),
    );
  });

  it('refuses a StasisStart without a usable channel id, naming the field, and starts no call for it', async () => {
    const logMark = log.lines.length;
    const recordMark = rig.records.records.length;
    const { id: _id, ...noId } = templates.StasisStart('x').channel;
    rig.sim.injectRawEvent('hotline', { ...templates.StasisStart('x'), channel: noId });
    rig.sim.injectRawEvent('hotline', templates.StasisStart('1795598888.2/../../bridges'));
    rig.sim.injectRawEvent('hotline', { ...templates.StasisStart('x'), channel: '1795598888.3' });
    await realCall(2);
    expect(rig.records.records.slice(recordMark)).toHaveLength(1);
    const rejected = log.lines.slice(logMark).filter((l) => l.msg === 'ARI event rejected');
    expect(rejected.map((l) => [l.event, l.field])).toEqual([
      ['StasisStart', 'channel.id'],
      ['StasisStart', 'channel.id'],
      ['StasisStart', 'channel'],
    ]);
  });

  it('serves a call whose caller id fields have the wrong type, leaving them out with a warning', async () => {
    const logMark = log.lines.length;
    const recordMark = rig.records.records.length;
    const id = '1795598888.4';
    const event = templates.StasisStart(id);
    rig.sim.injectRawEvent('hotline', {
      ...event,
      channel: { ...event.channel, caller: { number: 13912345678, name: { first: 'x' } } },
    });
    await allSettled(rig, [id], recordMark);
    expect(endedCalls.find((c) => c.id === id)).toMatchObject({
      callerNumber: '',
      callerName: '',
      dialed: '12345',
    });
    expect(log.lines.slice(logMark)).toContainEqual(
      expect.objectContaining({
        msg: 'ARI event fields ignored',
        event: 'StasisStart',
        fields: ['channel.caller.number', 'channel.caller.name'],
      }),
    );
  });

  it('drops frames ari-client cannot read with a warning saying why, and goes on serving calls', async () => {
    const logMark = log.lines.length;
    rig.sim.injectRawEvent('hotline', '{"type":"StasisStart",');
    rig.sim.injectRawEvent('hotline', { type: 'NoSuchEvent', channel: { id: '1' } });
    rig.sim.injectRawEvent('hotline', 'null');
    await realCall(3);
    const warnings = log.lines.slice(logMark).filter((l) => l.msg.startsWith('ARI event'));
    expect(warnings.map((l) => [l.msg, l.event ?? l.field ?? l.bytes])).toEqual([
      ['ARI event dropped: not JSON', 22],
      ['ARI event dropped: ari-client could not read it (unknown type or malformed resource)', 'NoSuchEvent'],
      ['ARI event rejected', ''],
    ]);
  });
});
