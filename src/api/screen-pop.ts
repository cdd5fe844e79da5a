import { existsSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AccessLedger } from '../admin/ledgers.ts';
import type { CallsView } from '../calls/runtime/engine-group.ts';
import type { Clock } from '../clock.ts';
import { HotlineError } from '../errors.ts';
import { answersFor } from '../knowledge/answers.ts';
import { type KnowledgeBase, knowledgeFileOf, loadKnowledgeBase } from '../knowledge/load.ts';
import { maskNumber } from '../log.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { topicName } from '../plan/topic-name.ts';
import { type CallerHistory, JsonlCallerHistory, MAX_EARLIER_CALLS } from '../records/caller-history.ts';
import { readRecordsConfig } from '../records/sinks/config.ts';
import { ledgerRead } from './auth.ts';
import { invalidRequest, useErrorCatalogue } from './errors.ts';

/** Where the screen pop finds a caller's earlier calls and the standard answers. */
export interface ScreenPopSources {
  /** Absent: no history is kept where the API can read it (said so in the screen pop). */
  history?: CallerHistory;
  /** Absent: no standard answers. */
  knowledge?: KnowledgeBase;
}

export interface ScreenPopApiOptions extends ScreenPopSources {
  engine: CallsView;
  /** The live plan (the categories' Chinese names). */
  plan: () => RoutingPlan;
  ledger: AccessLedger;
  clock: Clock;
}

/**
 * The sources `hotline serve` gives the screen pop: the knowledge base of the rules folder when
 * it has one (checked against the plan; a mistake stops the start naming the file and path) and the JSONL
 * records file, read with the records key of the environment (RECORDS_KEY).
 */
export function screenPopSources(o: {
  rulesDir: string;
  recordsPath: string;
  plan: RoutingPlan;
  env: NodeJS.ProcessEnv;
}): ScreenPopSources {
  const { cipher } = readRecordsConfig({ ...o.env, HOTLINE_RECORDS: o.recordsPath });
  // A rules folder without a knowledge base (knowledge/standard-answers.yaml) pops no standard
  // answers; one that has it must be right.
  const file = knowledgeFileOf(o.rulesDir);
  return {
    ...(existsSync(file) ? { knowledge: loadKnowledgeBase(file, o.plan) } : {}),
    history: new JsonlCallerHistory(o.recordsPath, cipher),
  };
}

const CallParams = z.object({ id: z.string().min(1).max(128) });

/**
 * GET /calls/:id/screen-pop — what the agent's toolbar pops up when a call is offered or answered:
 * the caller's earlier calls (masked; date, line, category, disposition, work order; most recent
 * first, at most 10) and the standard answers for the call's line and category (知识库). The
 * agent on the call, or a supervisor; the read of the caller's calls is written to the access
 * ledger with every call it showed.
 */
export const screenPopApi: FastifyPluginAsync<ScreenPopApiOptions> = async (
  app,
  { engine, plan, ledger, clock, history, knowledge },
) => {
  useErrorCatalogue(app);

  app.get('/calls/:id/screen-pop', async (req) => {
    const p = CallParams.safeParse(req.params);
    if (!p.success) throw invalidRequest('params', p.error);
    const { id } = p.data;
    const call = engine.call(id);
    if (!call) throw new HotlineError('no-such-call', `no live call "${id}"`);
    const topic = call.queue?.skill ?? call.line.topic;
    const earlier = history
      ? await history.earlierCalls(call.callerNumber, id, MAX_EARLIER_CALLS)
      : { available: false as const, reason: '本服务未保存可查询的通话记录', calls: [] as [] };
    await ledgerRead(ledger, req, [id, ...earlier.calls.map((c) => c.callId)], clock.now());
    const named = plan();
    return {
      callId: id,
      caller: maskNumber(call.callerNumber),
      line: { id: call.line.id, name: call.line.name },
      topic,
      topicName: topicName(named, topic),
      history: {
        ...earlier,
        calls: earlier.calls.map((c) => ({ ...c, topicName: topicName(named, c.topic) })),
      },
      answers: answersFor(knowledge?.answers ?? [], { lineId: call.line.id, topic }).map((a) => ({
        id: a.id,
        title: a.title,
        text: a.text,
        source: a.source,
      })),
    };
  });
};
