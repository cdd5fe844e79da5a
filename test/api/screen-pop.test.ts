import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { knowledgeFileOf, loadKnowledgeBase } from '../../src/knowledge/load.ts';
import { CallerCipher, parseRecordsKey } from '../../src/records/caller-crypto.ts';
import { JsonlCallerHistory } from '../../src/records/caller-history.ts';
import type { CallRecord } from '../../src/records/schema.ts';
import { type AdminRig, rulesDir, startAdminRig } from '../admin/admin-rig.ts';
import { readyAgents } from '../support/engine-harness.ts';

/**
 * The screen pop (GET /calls/:id/screen-pop): the caller's earlier calls from the JSONL records
 * (callers told apart by their encrypted numbers), masked, most recent first, and the standard
 * answers of the call's line; the read is in the access ledger.
 */
let a: AdminRig | undefined;
let dir: string | undefined;
afterEach(async () => {
  await a?.close();
  a = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const CITIZEN = '13800138000';
const OTHER = '13900139000';
const cipher = new CallerCipher(parseRecordsKey('k1', randomBytes(32).toString('base64')));

async function start(withKey: boolean) {
  dir = mkdtempSync(join(tmpdir(), 'hotline-screen-pop-'));
  const recordsPath = join(dir, 'records.jsonl');
  a = await startAdminRig({
    screenPop: {
      history: new JsonlCallerHistory(recordsPath, withKey ? cipher : undefined),
      knowledge: loadKnowledgeBase(knowledgeFileOf(rulesDir)),
    },
  });
  const rig = a.rig;
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300 }]);
  rig.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 300, online: true });
  const numbers = new Map<string, string>();
  /** One call from `caller` to `dialed`, talking with a1001. */
  const call = async (caller: string, dialed: string) => {
    const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed, callerNumber: caller });
    numbers.set(channelId, caller);
    await rig.runUntil('talking', () => rig.hotline.engine.call(channelId)?.stage === 'talking');
    return channelId;
  };
  const finish = async (callId: string) => {
    rig.sim.hangup(callId);
    await rig.runUntil('record', () => rig.records.records.some((r) => r.callId === callId));
    await rig.runUntil('a1001 free', async () => {
      const s = (await rig.hotline.store.getAgent('a1001'))?.status.state;
      if (s === 'wrap-up') await rig.hotline.store.endWrapUp('a1001');
      return s === 'ready';
    });
  };
  /** The records file as the embedded sink keeps it with RECORDS_KEY: callers encrypted. */
  const keep = () =>
    writeFileSync(
      recordsPath,
      rig.records.records
        .map((r: CallRecord) => ({ ...r, callerEncrypted: cipher.encrypt(numbers.get(r.callId)!, r.callId) }))
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(''),
    );
  return { rig, call, finish, keep };
}

describe('the screen pop', () => {
  it("shows the caller's earlier calls, most recent first and masked, with the line's answers", async () => {
    const { rig, call, finish, keep } = await start(true);
    const first = await call(CITIZEN, '12345');
    await finish(first);
    await rig.advance(60_000);
    const second = await call(CITIZEN, '12319');
    const ticket = await a!.as('a1001', {
      method: 'POST',
      url: `/calls/${second}/tickets`,
      payload: { target: 'subcenter:tax', reason: '个税汇算退税进度查询' },
    });
    expect(ticket.statusCode).toBe(201);
    await finish(second);
    const stranger = await call(OTHER, '12319');
    await finish(stranger);
    keep();

    const now = await call(CITIZEN, '12319');
    const res = await a!.as('a1001', { method: 'GET', url: `/calls/${now}/screen-pop` });
    expect(res.statusCode).toBe(200);
    const pop = res.json();
    expect(pop).toMatchObject({
      callId: now,
      caller: '138******00',
      line: { id: 'l12319' },
      topic: 'housing',
      topicName: '住房城乡建设厅',
    });
    expect(pop.history.available).toBe(true);
    expect(pop.history.calls.map((c: { callId: string }) => c.callId)).toEqual([second, first]);
    expect(pop.history.calls[0]).toMatchObject({
      callerMasked: '138******00',
      line: { id: 'l12319', name: '全国住房和城乡建设服务电话' },
      topic: 'housing',
      disposition: 'answered',
      agentId: 'a1001',
      ticket: { target: 'subcenter:tax', reason: '个税汇算退税进度查询' },
    });
    expect(pop.history.calls[1]).toMatchObject({
      line: { id: 'hotline-12345' },
      topic: 'general',
      topicName: '综合',
    });
    expect(pop.history.calls[1].ticket).toBeUndefined();
    expect(JSON.stringify(pop)).not.toContain(CITIZEN);
    expect(pop.answers.map((x: { id: string }) => x.id)).toEqual([
      'dual-number',
      'service-scope',
      'emergency-linkage',
    ]);
    expect(pop.answers[0].text).toContain('10月16日起');

    const [entry] = await a!.ledger.latest(1);
    expect(entry).toMatchObject({
      tokenId: 'a1001',
      role: 'agent',
      route: '/calls/:id/screen-pop',
      callIds: [now, second, first],
    });
  });

  it('says why there is no history when the records cannot tell callers apart (no records key)', async () => {
    const { call, keep } = await start(false);
    keep();
    const now = await call(CITIZEN, '12345');
    const pop = (await a!.as('a1001', { method: 'GET', url: `/calls/${now}/screen-pop` })).json();
    expect(pop.history).toEqual({
      available: false,
      reason: expect.stringContaining('RECORDS_KEY'),
      calls: [],
    });
    expect(pop.answers.map((x: { id: string }) => x.id)).toEqual(['service-scope', 'emergency-linkage']);
  });

  it("refuses another agent's call (403) and a call that is not live (404)", async () => {
    const { call } = await start(true);
    const now = await call(CITIZEN, '12345');
    expect((await a!.as('a1002', { method: 'GET', url: `/calls/${now}/screen-pop` })).statusCode).toBe(403);
    const gone = await a!.as('a1001', { method: 'GET', url: '/calls/nope/screen-pop' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ error: 'no-such-call' });
    expect(await a!.ledger.latest(10)).toEqual([]);
  });
});
