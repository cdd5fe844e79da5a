import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gateVariable } from '../../src/admission/gate.ts';
import type { CallRecord } from '../../src/records/record.ts';
import { passed, promptMs } from './lab/checks.ts';
import { APPS, type Lab, startLab, waitFor } from './lab/lab.ts';

// Issue 18 on the real PBX: while the engine sheds, the dialplan's admission gate keeps new calls
// from it. An administrator holds the engine at `shedding` (PUT /admission, as an operator would
// during a flood); the engine closes the gate (one Asterisk global per app); a call to 12345 then
// never enters Stasis, the safety net answers it at once, and its note becomes one `shed` record.
// Released (`auto`), the next call enters the engine as usual.
let lab: Lab;

/** Admission on, with thresholds no busy CI machine reaches: only the operator's hold sheds. */
const neverShedsByItself: Record<string, string> = {
  ADMISSION: 'on',
  ADMISSION_LOOP_DELAY_MS: '60000',
  ADMISSION_LOOP_DELAY_CRITICAL_MS: '60000',
  ADMISSION_ACTION_LATENCY_MS: '60000',
  ADMISSION_ACTION_LATENCY_CRITICAL_MS: '60000',
  ADMISSION_PENDING_COMMANDS: '10000000',
  ADMISSION_PENDING_COMMANDS_CRITICAL: '10000000',
  ADMISSION_REST_IN_FLIGHT: '1000000',
  ADMISSION_REST_IN_FLIGHT_CRITICAL: '1000000',
  ADMISSION_ARI_EVENT_LATE_MS: '60000',
  ADMISSION_ARI_EVENT_LATE_CRITICAL_MS: '60000',
  ADMISSION_REST_503: '1000000',
  ADMISSION_REST_503_CRITICAL: '1000000',
  ADMISSION_FIRST_AUDIO_MS: '60000',
  ADMISSION_FIRST_AUDIO_CRITICAL_MS: '60000',
  ADMISSION_PBX_QUEUE_PERCENT: '1000',
  ADMISSION_PBX_QUEUE_PERCENT_CRITICAL: '1000',
};

beforeAll(async () => {
  lab = await startLab({ agents: [{ id: 'agent4001' }] });
  await lab.startEngine(neverShedsByItself);
  // Asterisk logs every ARI event it sends: the suite sees whether a StasisStart left for the engine.
  await lab.rx('ari set debug all on');
});

afterEach(async ({ task }) => {
  await lab.endScenario({
    scenario: { name: task.name, failed: task.result?.state === 'fail' },
    loggedIn: new Set(),
  });
});

afterAll(async () => {
  await lab?.stop();
});

/** The gate of every app as Asterisk holds it (the global the engine writes). */
async function gates(): Promise<string[]> {
  return Promise.all(
    APPS.map(async (app) => {
      const r = await lab.ari('GET', `/asterisk/variable?variable=${gateVariable(app)}`);
      return r.status === 200 ? ((r.body as { value?: string }).value ?? '') : `(${r.status})`;
    }),
  );
}

/** StasisStart events Asterisk sent for a channel, from the ARI trace. */
function stasisStarts(channelId: string, from: number): unknown[] {
  return lab
    .ariTrace(from)
    .filter(
      (e) =>
        e.kind === 'event' &&
        e.event.type === 'StasisStart' &&
        (e.event.channel as { id?: string } | undefined)?.id === channelId,
    );
}

const noteOf = (caller: string): Promise<{ name: string; text: string }> =>
  waitFor(`the safety-net note of ${caller}`, () => {
    for (const dir of [lab.spool, join(lab.spool, 'done')]) {
      const names = (() => {
        try {
          return readdirSync(dir);
        } catch {
          return [];
        }
      })();
      for (const name of names.filter((n) => n.endsWith('.txt'))) {
        const text = readFileSync(join(dir, name), 'utf8');
        if (text.includes(`caller=${caller} `)) return { name, text };
      }
    }
    return undefined;
  });

describe('the admission gate in the dialplan', () => {
  let shedCall: string | undefined;

  it('held at shedding by an administrator, the engine closes the gate of each of its apps', async () => {
    expect(await gates()).toEqual(APPS.map(() => ''));
    // a supervisor may look, not hold
    expect((await lab.api('PUT', '/admission', { force: 'shedding' })).status).toBe(403);
    const held = await lab.admin('PUT', '/admission', { force: 'shedding' });
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ state: 'shedding', reason: 'forced' });
    // PUT answers once the gate is written
    expect(await gates()).toEqual(APPS.map(() => 'forced'));
  });

  it('a call then never reaches the engine: the safety net answers it at once, and it is recorded as shed', async () => {
    const traceFrom = lab.ariTrace().length;
    const logFrom = lab.asteriskLog().length;
    // no agent: the greeting, the apology, then a message of a few seconds
    const talkMs = promptMs('welcome-12345') + promptMs('fallback-leave-message') + 4000;
    // answered within 2 s: no ringing rounds, no engine in between
    const caller = lab.call({ dialed: '12345', caller: '13800138201', talkMs, answerWithinMs: 2000 });
    await passed(caller, 120_000);
    const { text: note } = await noteOf('13800138201');
    const uniqueid = /uniqueid=(\S+)/.exec(note)![1]!;
    shedCall = uniqueid;
    expect(note).toMatch(/^outcome=message caller=13800138201 dialed=12345 /);
    expect(note).toMatch(/ shed=forced recorded=\s*$/);

    const log = lab.asteriskLog().slice(logFrom);
    expect(log).toContain(`engine shedding load (forced): call ${uniqueid} to 12345 takes the safety net`);
    expect(log).not.toContain(`engine unavailable: call ${uniqueid}`);
    expect(stasisStarts(uniqueid, traceFrom)).toEqual([]);

    const of = () => lab.records().filter((r) => r.callId === uniqueid);
    const [record] = await waitFor(`the record of the shed call ${uniqueid}`, () => of().length > 0 && of());
    expect(record).toMatchObject({
      idempotencyKey: `${uniqueid}:record`,
      dialed: '12345',
      disposition: 'shed',
      shedReason: 'forced',
      safetyNetOutcome: 'message',
      callerMasked: '138******01',
    });
    expect(record!.recording).toMatch(/\.wav$/);
    await waitFor('the note moved to done/', () =>
      readdirSync(join(lab.spool, 'done')).some((n) => n.includes(uniqueid)),
    );
  }, 200_000);

  it('released (auto), the gate opens and the next call enters the engine as usual', async () => {
    const released = await lab.admin('PUT', '/admission', { force: 'auto' });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ state: 'normal', held: null });
    expect(await gates()).toEqual(APPS.map(() => ''));

    const traceFrom = lab.ariTrace().length;
    const before = lab.records().map((r) => r.callId);
    const caller = lab.call({ dialed: '12345', caller: '13800138202', talkMs: 4000, answerWithinMs: 5000 });
    await passed(caller, 60_000);
    const [record] = await waitFor('the record of the call the engine took', () => {
      const fresh = lab.records().filter((r) => !before.includes(r.callId) && r.callId !== shedCall);
      return fresh.length > 0 && fresh;
    });
    expect(record!.callerMasked).toBe('138******02');
    expect(['shed', 'safety-net-answered', 'safety-net-message']).not.toContain(record!.disposition);
    expect(record!.safetyNetOutcome).toBeUndefined();
    expect(record!.shedReason).toBeUndefined();
    expect(stasisStarts(record!.callId, traceFrom)).toHaveLength(1);

    // the shed call of the scenario before kept exactly one record through every reading of the spool since
    const shed: CallRecord[] = lab.records().filter((r) => r.callId === shedCall);
    expect(shed).toHaveLength(1);
  }, 200_000);

  it('a call whose StasisStart reaches the engine before the gate closes is shed by the engine, recorded once, and answered by the safety net', async () => {
    const held = await lab.admin('PUT', '/admission', { force: 'shedding' });
    expect(held.status).toBe(200);
    expect(await gates()).toEqual(APPS.map(() => 'forced'));
    // The race: the engine sheds, but its gate write has not landed yet. The test opens the gate
    // behind the engine's back, so the next call enters Stasis and the engine must shed it itself.
    for (const app of APPS) {
      const opened = await lab.ari('POST', `/asterisk/variable?variable=${gateVariable(app)}&value=`);
      expect(opened.status).toBe(204);
    }
    expect(await gates()).toEqual(APPS.map(() => ''));

    const traceFrom = lab.ariTrace().length;
    const logFrom = lab.asteriskLog().length;
    const engineFrom = lab.engineOutput().length;
    const talkMs = promptMs('welcome-12345') + promptMs('fallback-leave-message') + 4000;
    // answered within 2 s: the engine hands the call over at once, the safety net answers it
    const caller = lab.call({ dialed: '12345', caller: '13800138203', talkMs, answerWithinMs: 2000 });
    await passed(caller, 120_000);
    const { text: note } = await noteOf('13800138203');
    const uniqueid = /uniqueid=(\S+)/.exec(note)![1]!;
    expect(note).toMatch(/^outcome=message caller=13800138203 dialed=12345 /);
    expect(note).toMatch(/ shed=forced recorded=engine\s*$/);

    // the engine saw the call and shed it itself
    expect(stasisStarts(uniqueid, traceFrom)).toHaveLength(1);
    const log = lab.asteriskLog().slice(logFrom);
    expect(log).toContain(`engine shedding load (forced): call ${uniqueid} to 12345 takes the safety net`);
    expect(log).not.toContain(`engine unavailable: call ${uniqueid}`);
    expect(log).not.toContain('Dangerous function');

    // the intake read the note: no second record; the lab's JSONL sink keeps final records only
    // and takes no live events, so the intake says the safety net's outcome stays in the note
    const readByIntake = () =>
      lab
        .engineOutput()
        .slice(engineFrom)
        .split('\n')
        .some(
          (l) =>
            l.includes(`"callId":"${uniqueid}"`) &&
            l.includes('"outcome":"message"') &&
            l.includes('safety-net outcome of a call the engine recorded is kept only in the note'),
        );
    await waitFor(`the intake to read the note of ${uniqueid}`, readByIntake);
    await waitFor('the note moved to done/', () =>
      readdirSync(join(lab.spool, 'done')).some((n) => n.includes(uniqueid)),
    );
    const records = lab.records().filter((r) => r.callId === uniqueid);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      idempotencyKey: `${uniqueid}:record`,
      dialed: '12345',
      disposition: 'shed',
      shedReason: 'forced',
      callerMasked: '138******03',
    });
    expect(records[0]!.safetyNetOutcome).toBeUndefined();

    const released = await lab.admin('PUT', '/admission', { force: 'auto' });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ state: 'normal', held: null });
    expect(await gates()).toEqual(APPS.map(() => ''));
  }, 200_000);
});
