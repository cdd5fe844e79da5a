import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Agent,
  type AgentState,
  agentDefinitionSchema,
  initialStatus,
  shanghaiDay,
} from '../../src/acd/agent.ts';
import { type QueuedCall, type QueuePolicy, queuePolicySchema } from '../../src/acd/queue-policy.ts';
import { boardFigures } from '../../src/admin/board-figures.ts';
import { type DayCounts, emptyDay, MemoryDaySlots, slotOf } from '../../src/admin/day-slots.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { topicName } from '../../src/plan/topic-name.ts';
import { root } from '../support/engine-harness.ts';

const plan = loadPlan(join(root, 'routing-rules')).plan;
// 2026-12-01 10:00 in Shanghai.
const now = Date.parse('2026-12-01T02:00:00Z');

const general = queuePolicySchema.parse({
  id: 'pool:general',
  kind: 'pool',
  name: '12345综合受理座席',
  strategy: 'skill-level',
  wrapUpSeconds: 15,
  widenAfterSeconds: 20,
  maxWaitSeconds: 300,
});
const legal = queuePolicySchema.parse({
  id: 'expert:legal',
  kind: 'expert',
  name: '公共法律服务专家座席',
  skills: ['legal'],
  wrapUpSeconds: 30,
  maxWaitSeconds: 300,
});
const policies: QueuePolicy[] = [general, legal];

function agent(
  id: string,
  state: AgentState,
  o: { skills?: Record<string, number>; queueId?: string; answered?: number; expert?: boolean } = {},
): Agent {
  const status = initialStatus(now - 60_000);
  return {
    ...agentDefinitionSchema.parse({
      id,
      name: `坐席${id}`,
      centerId: 'sichuan',
      skills: o.skills ?? { general: 5 },
      pools: o.expert ? [] : ['pool:general'],
      expertSeats: o.expert ? ['expert:legal'] : [],
    }),
    status: {
      ...status,
      state,
      deviceAvailable: true,
      ...(o.queueId ? { queueId: o.queueId, callId: `call-${id}` } : {}),
      counters: { day: shanghaiDay(now), callsAnswered: o.answered ?? 0, talkSeconds: 0 },
    },
  };
}

const waiting = (callId: string, queueId: string, waitedSeconds: number, skill?: string): QueuedCall => ({
  callId,
  queueId,
  priority: 0,
  enqueuedAt: now - waitedSeconds * 1000,
  engineId: 'e1',
  ...(skill ? { preferredSkill: skill } : {}),
});

const empty: DayCounts = emptyDay(shanghaiDay(now));

describe('the wallboard figures (one function for the whole board)', () => {
  it('counts talking once: the agents on a call, the queues’ 通话 and the live calls’ 坐席通话 agree', () => {
    const agents = [
      agent('a1', 'on-call', { queueId: 'pool:general', answered: 2 }),
      agent('a2', 'on-call', { queueId: 'expert:legal', skills: { legal: 9 }, expert: true, answered: 1 }),
      agent('a3', 'ready'),
      agent('a4', 'wrap-up', { queueId: 'pool:general', answered: 1 }),
      agent('a5', 'reserved', { queueId: 'pool:general' }),
      agent('a6', 'not-ready'),
    ];
    const queued = [
      { ...waiting('c5', 'pool:general', 3), offer: { agentId: 'a5', engineId: 'e1', until: now } },
    ];
    const b = boardFigures({ now, plan, day: empty, policies, agents, queued, live: [] });
    const onCallTiles = b.agents.filter((a) => a.state === 'on-call').length;
    expect(b.agentTotals.onCall).toBe(2);
    expect(b.live.talking).toBe(b.agentTotals.onCall);
    expect(onCallTiles).toBe(b.agentTotals.onCall);
    expect(b.queues.reduce((n, q) => n + q.agentsOnCall, 0)).toBe(b.agentTotals.onCall);
    // Ringing: the calls being offered, the agents whose phone rings.
    expect(b.live.ringing).toBe(1);
    expect(b.agentTotals.ringing).toBe(1);
    expect(b.queues.find((q) => q.id === 'pool:general')).toMatchObject({
      ringing: 1,
      waiting: 0,
      agentsWrapUp: 1,
    });
    expect(b.live.calls).toBe(
      b.live.ivr + b.live.waiting + b.live.ringing + b.live.talking + b.live.transferred,
    );
    expect(b.agentTotals.answeredToday).toBe(4);
    expect(b.agentTotals).toMatchObject({ loggedIn: 6, ready: 1, wrapUp: 1, notReady: 1 });
  });

  it('says why calls wait while agents are ready: the skill they lack (in Chinese) and when the call widens', () => {
    const agents = [agent('a1', 'ready'), agent('a2', 'ready')];
    const queued = [
      waiting('c1', 'pool:general', 5, 'housing'),
      waiting('c2', 'pool:general', 8, 'housing'),
      waiting('c3', 'pool:general', 1, 'general'),
      waiting('c4', 'expert:legal', 12),
    ];
    const b = boardFigures({ now, plan, day: empty, policies, agents, queued, live: [] });
    const pool = b.queues.find((q) => q.id === 'pool:general')!;
    expect(pool).toMatchObject({ waiting: 3, agentsReady: 2, longestWaitSeconds: 8 });
    expect(pool.notes).toEqual([
      {
        kind: 'skill',
        calls: 2,
        skill: 'housing',
        skillName: '住房城乡建设厅',
        widenInSeconds: 12,
      },
      { kind: 'assigning', calls: 1 },
    ]);
    // The expert seat has no agent of its own ready; the two ready agents serve the pool only.
    expect(b.queues.find((q) => q.id === 'expert:legal')!.notes).toEqual([
      { kind: 'no-agent', calls: 1, readyElsewhere: 2 },
    ]);
  });

  it('offers a waiting call to the ready agents once its wait widened past the skill', () => {
    const b = boardFigures({
      now,
      plan,
      day: empty,
      policies,
      agents: [agent('a1', 'ready')],
      queued: [waiting('c1', 'pool:general', 25, 'housing')],
      live: [],
    });
    expect(b.queues[0]!.notes).toEqual([{ kind: 'assigning', calls: 1 }]);
  });

  it('takes the day from its slots: 呼入 ≥ 转人工 ≥ 接通, the rates over 转人工, lines by their Chinese names', async () => {
    const slots = new MemoryDaySlots();
    const at = (hhmm: string) => Date.parse(`2026-12-01T${hhmm}:00+08:00`);
    const call = (
      id: string,
      line: string,
      arrive: string,
      o: { queued?: string; answered?: string; waitS?: number; abandoned?: string },
    ) => {
      slots.countNow({ callId: id, key: 'arrived', at: at(arrive), add: { arrived: 1 }, line });
      if (o.queued) slots.countNow({ callId: id, key: 'offered', at: at(o.queued), add: { offered: 1 } });
      if (o.answered) {
        const wait = (o.waitS ?? 0) * 1000;
        slots.countNow({
          callId: id,
          key: 'answered',
          at: at(o.answered),
          add: {
            answered: 1,
            waitMs: wait,
            waitFromArrivalMs: wait + 5000,
            withinServiceLevel: wait <= 15_000 ? 1 : 0,
          },
        });
        slots.countNow({ callId: id, key: 'agent-answer:3', at: at(o.answered), add: { agentAnswers: 1 } });
      }
      if (o.abandoned)
        slots.countNow({ callId: id, key: 'abandoned', at: at(o.abandoned), add: { abandoned: 1 } });
    };
    call('c1', 'hotline-12345', '08:01', { queued: '08:01', answered: '08:01', waitS: 10 });
    call('c2', 'hotline-12345', '08:20', { queued: '08:20', answered: '08:21', waitS: 40 });
    call('c3', 'l12319', '09:40', { queued: '09:40', abandoned: '09:41' });
    call('c4', 'l12319', '09:50', {}); // self-service: never asked for an agent
    call('c4', 'l12319', '09:50', {}); // the same fact again (a restored call): counted once
    call('c5', 'nowhere', '09:55', {});
    const b = boardFigures({
      now,
      plan,
      day: await slots.read(shanghaiDay(now)),
      policies,
      agents: [],
      queued: [],
      live: [],
    });
    expect(b.today).toMatchObject({ calls: 5, offered: 3, answered: 2, abandoned: 1, agentAnswers: 2 });
    expect(b.today.calls).toBeGreaterThanOrEqual(b.today.offered);
    expect(b.today.offered).toBeGreaterThanOrEqual(b.today.answered);
    expect(b.today.answerRate).toBeCloseTo(2 / 3);
    expect(b.today.abandonmentRate).toBeCloseTo(1 / 3);
    expect(b.today.serviceLevel).toBeCloseTo(1 / 3);
    expect(b.today.asaSeconds).toBe(25);
    expect(b.today.asaFromArrivalSeconds).toBe(30);
    expect(b.today.perLine).toEqual([
      { line: 'hotline-12345', name: '12345政务服务便民热线', calls: 2 },
      { line: 'l12319', name: '全国住房和城乡建设服务电话', calls: 2 },
      { line: 'nowhere', name: '其他号码', calls: 1 },
    ]);
    // The trend: every quarter hour from midnight to now (10:00 is the 41st), 08:00 and 08:15 each with one call.
    expect(b.trend).toHaveLength(slotOf(now).slot + 1);
    expect(b.trend.at(-1)!.start).toBe('10:00');
    expect(b.trend[32]).toEqual({
      slot: 32,
      start: '08:00',
      offered: 1,
      answered: 1,
      abandoned: 0,
      serviceLevel: 1,
    });
    expect(b.trend[33]).toMatchObject({ start: '08:15', offered: 1, answered: 1, serviceLevel: 0 });
    expect(b.trend[38]).toMatchObject({
      start: '09:30',
      offered: 1,
      answered: 0,
      abandoned: 1,
      serviceLevel: 0,
    });
    expect(b.trend[0]).toMatchObject({ offered: 0, serviceLevel: null });
  });

  it('names a topic by the line that carries it, else by the expert seat with that skill', () => {
    expect(topicName(plan, 'housing')).toBe('住房城乡建设厅');
    expect(topicName(plan, 'general')).toBe('综合');
  });
});
