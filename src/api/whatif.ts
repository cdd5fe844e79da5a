import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  DraftFilesSchema,
  DraftsBusyError,
  DraftTooComplexError,
  DraftTooLargeError,
  maxDraftFileBytes,
  oversizedFile,
} from '../admin/draft.ts';
import type { AuditLog, WhatIfAuditEntry } from '../admin/ledgers.ts';
import { diffFiles } from '../admin/line-diff.ts';
import type { RulesAdmin } from '../admin/rules-admin.ts';
import type { Clock } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { RulesInvalidError } from '../plan/problems.ts';
import type { RosterEntry } from '../roster.ts';
import type { TargetKind } from '../whatif/comparison.ts';
import { InvalidRequestError, invalidRequest, sendError } from './errors.ts';
import { WhatIfBusyError, WhatIfRunner, WhatIfTooLargeError } from './whatif-runner.ts';
import type { WhatIfTrafficChoice } from './whatif-task.ts';

/** Calls of a synthetic day when none is asked for; the most a what-if may replay. */
export const defaultWhatIfCalls = 5_000;
export const maxWhatIfCalls = 50_000;
/** How much of the records file the recent traffic is read from (its end: the latest calls). */
const recordsTailBytes = 32 * 1024 * 1024;

export const WhatIfBody = z
  .object({
    files: DraftFilesSchema,
    /** `recent`: the engine's own call records (a synthetic day when it has none); `profile`: a synthetic day. */
    traffic: z.enum(['recent', 'profile']).default('recent'),
    /** The day (YYYY-MM-DD, the center's time zone): of the records, or of the synthetic day (default today). */
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
      .optional(),
    /** Calls of a synthetic day. */
    calls: z.number().int().min(1).max(maxWhatIfCalls).optional(),
    seed: z.number().int().min(1).max(2_147_483_647).optional(),
  })
  .strict();

export interface WhatIfApiOptions {
  rules: RulesAdmin;
  audit: AuditLog;
  clock: Clock;
  logger?: Logger;
  /** The JSONL records file the engine writes (the recent traffic); absent: synthetic days only. */
  recordsPath?: string;
  /** The agents replayed (the live roster); absent: a default staffing sized from the live load. */
  agents?: () => RosterEntry[];
  /** Runs the replays off the main thread (default: one worker, `whatIfBudget`). */
  runner?: WhatIfRunner;
}

/** The roster's agents an administrator has not disabled. */
export function activeAgents(roster: {
  entries: RosterEntry[];
  disabled: ReadonlySet<string>;
}): RosterEntry[] {
  return roster.entries.filter((e) => !roster.disabled.has(e.id));
}

/** A draft's files, each at most `maxDraftFileBytes` (413 before anything else), then the body's schema. */
function parseBody(body: unknown): z.infer<typeof WhatIfBody> {
  const files = (body as { files?: unknown } | null)?.files;
  if (files && typeof files === 'object') {
    const name = oversizedFile(files as Record<string, unknown>);
    if (name !== undefined) throw new DraftTooLargeError(name.slice(0, 80), maxDraftFileBytes);
  }
  const r = WhatIfBody.safeParse(body ?? {});
  if (!r.success) throw invalidRequest('body', r.error);
  return r.data;
}

const targetTables = {
  pool: 'pools',
  expert: 'experts',
  subcenter: 'subcenters',
  department: 'departments',
  emergency: 'emergency',
  center: 'centers',
} as const satisfies Partial<Record<TargetKind, keyof RoutingPlan>>;

/** The name the rules give a target (`成都海关12360分中心`), if they name it. */
function targetName(plans: readonly RoutingPlan[], kind: TargetKind, id: string): string | undefined {
  const table = targetTables[kind as keyof typeof targetTables];
  if (!table) return undefined;
  for (const plan of plans) {
    const name = (plan[table].get(id) as { name?: string } | undefined)?.name;
    if (name) return name;
  }
  return undefined;
}

/** Rules files may be large; everything else keeps the API's small body limit. */
const bodyLimit = 8 * 1024 * 1024;

/**
 * POST /rules/whatif — the rules page's 试算: a day of traffic replayed through the live rules and
 * through a draft, compared side by side (src/whatif). The draft is compiled as validate does
 * (a worker, the draft budget; problems name file and path), the replay runs in a worker thread
 * of its own so the engine's calls never wait on it, one what-if at a time (another meanwhile is
 * refused, 409). The traffic: the engine's recent call records, else a synthetic day from the
 * live plan. Each what-if goes to the audit log.
 */
export const whatIfApi: FastifyPluginAsync<WhatIfApiOptions> = async (app, o) => {
  const runner = o.runner ?? new WhatIfRunner(undefined, o.logger);
  if (!o.runner) app.addHook('onClose', async () => runner.close());

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof DraftTooComplexError || err instanceof WhatIfTooLargeError) {
      const problems =
        err instanceof DraftTooComplexError && err.problems.length > 0 ? err.problems : undefined;
      return reply.code(err.statusCode).send({
        error: err.code,
        message: err.message,
        limit: err.limit,
        ...(problems ? { problems } : {}),
      });
    }
    if (err instanceof DraftTooLargeError) {
      return reply
        .code(err.statusCode)
        .send({ error: err.code, message: err.message, limit: err.limit, field: `body.files.${err.file}` });
    }
    if (err instanceof DraftsBusyError) {
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    }
    if (err instanceof WhatIfBusyError) {
      return reply.code(409).send({ error: err.code, message: err.message });
    }
    return sendError(err, request, reply);
  });

  app.post('/rules/whatif', { bodyLimit }, async (req) => {
    const body = parseBody(req.body);
    const startedAt = o.clock.now();
    const claim = runner.claim(new Date(startedAt).toISOString());
    const live = o.rules.version;
    const entry: Omit<WhatIfAuditEntry, 'outcome' | 'ms'> = {
      at: new Date(startedAt).toISOString(),
      tokenId: req.principal?.tokenId ?? 'unknown',
      role: req.principal?.role ?? 'admin',
      action: 'rules-whatif',
      liveVersion: live.version,
      traffic: { asked: body.traffic },
      changes: diffFiles(live.files, body.files)
        .filter((d) => d.status !== 'unchanged')
        .map(({ file, status, added, removed }) => ({ file, status, added, removed })),
    };
    const began = performance.now();
    try {
      const compiled = await o.rules.compile(body.files);
      if (!compiled.ok) throw new RulesInvalidError(compiled.problems);
      const centerId = o.rules.plan.center.id;
      if (compiled.plan.center.id !== centerId) {
        throw new RulesInvalidError([
          {
            file: '',
            path: 'center.id',
            message: `must stay "${centerId}" (this engine serves that center)`,
          },
        ]);
      }
      const calls = body.calls ?? defaultWhatIfCalls;
      const traffic: WhatIfTrafficChoice =
        body.traffic === 'recent' && o.recordsPath
          ? {
              source: 'recent',
              recordsPath: o.recordsPath,
              tailBytes: recordsTailBytes,
              calls,
              ...(body.date ? { date: body.date } : {}),
            }
          : { source: 'profile', calls, ...(body.date ? { date: body.date } : {}) };
      const agents = o.agents?.();
      const result = await runner.run({
        live: o.rules.plan,
        draft: compiled.plan,
        now: startedAt,
        traffic,
        ...(agents && agents.length > 0 ? { agents } : {}),
        ...(body.seed !== undefined ? { seed: body.seed } : {}),
      });
      if (!result.ok) throw new InvalidRequestError(result.message, `body.${result.where}`);
      const c = result.comparison;
      const note =
        result.trafficNote ??
        (body.traffic === 'recent' && !o.recordsPath
          ? 'this engine keeps no call records file: a synthetic day from the plan is replayed instead'
          : undefined);
      const ms = Math.round(performance.now() - began);
      await o.audit.append({
        ...entry,
        traffic: { asked: body.traffic, replayed: { source: c.traffic, date: c.date, calls: c.calls } },
        outcome: 'done',
        ms,
      });
      o.logger?.info(
        { liveVersion: live.version, traffic: c.traffic, date: c.date, calls: c.calls, ms },
        'rules what-if replayed',
      );
      const plans = [compiled.plan, o.rules.plan];
      return {
        ...c,
        // Each target with its name in the rules (the draft's, else the live rules').
        targets: c.targets.map((t) => {
          const name = targetName(plans, t.kind, t.id);
          return name ? { ...t, name } : t;
        }),
        liveVersion: live.version,
        ...(note ? { trafficNote: note } : {}),
      };
    } catch (err) {
      const reason = err instanceof Error ? err.message.slice(0, 300) : String(err);
      await o.audit.append({
        ...entry,
        outcome: 'failed',
        reason,
        ms: Math.round(performance.now() - began),
      });
      throw err;
    } finally {
      claim.release();
    }
  });
};
