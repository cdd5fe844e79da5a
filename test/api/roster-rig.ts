import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { JsonlAppendLog } from '../../src/admin/append-log.ts';
import type { AuditEntry } from '../../src/admin/ledgers.ts';
import { RosterAdmin } from '../../src/admin/roster-admin.ts';
import { FileRosterStore, type RosterEditStore } from '../../src/admin/roster-store.ts';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { generalAgent, type Rig, startRig } from '../support/engine-harness.ts';

/** The roster file of these tests: two agents of the general pool. */
export const baseline: RosterEntry[] = [generalAgent('a1001'), generalAgent('a1002')];

export interface RosterRig {
  rig: Rig;
  api: FastifyInstance;
  roster: RosterAdmin;
  /** The folder of the audit log and the roster edits file. */
  dir: string;
  auditPath: string;
  editsPath: string;
  /** The audit log's lines, oldest first. */
  auditLines(): AuditEntry[];
  tokens: Record<'admin' | 'supervisor' | 'agent', string>;
  as(who: keyof RosterRig['tokens'] | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * The engine on the simulator (stepped virtual time), the roster administration over a fresh
 * folder (the edits file and the JSONL audit log, as `hotline serve` keeps them without Redis)
 * attached to it, and the API with admin, supervisor and agent tokens.
 */
export async function startRosterRig(
  options: {
    store?: (dir: string) => RosterEditStore;
    /** The ACD in Redis (the test run's private server) instead of memory. */
    redisUrl?: string;
    speed?: number;
    dir?: string;
  } = {},
): Promise<RosterRig> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'hotline-roster-'));
  const auditPath = join(dir, 'audit.jsonl');
  const editsPath = join(dir, 'roster-edits.json');
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const audit = new JsonlAppendLog<AuditEntry>(auditPath);
  const store = options.store?.(dir) ?? new FileRosterStore(editsPath);
  const rig = await startRig({
    roster: baseline,
    promptMs: 500,
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.speed !== undefined ? { speed: options.speed } : {}),
  });
  const roster = await RosterAdmin.open({
    baseline,
    store,
    audit,
    plan: () => rig.hotline.plan,
    clock: rig.clock,
    logger,
  });
  await roster.attach(rig.hotline);
  const issued = {
    admin: issueToken('ops-admin', 'admin'),
    supervisor: issueToken('duty-supervisor', 'supervisor'),
    agent: issueToken('a1001', 'agent', 'a1001'),
  };
  const api = await buildApi({
    hotline: rig.hotline,
    // As `hotline serve` does: the agents API declares the roster in force (edits included).
    roster: rosterToAgents(roster.engineRoster().entries, rig.hotline.plan.center.id),
    clock: rig.clock,
    logger,
    tokens: new TokenSet(Object.values(issued).map((i) => i.entry)),
    authFailures: { max: 1000, windowMs: 60_000 },
    audit,
    rosterAdmin: roster,
  });
  const tokens = {
    admin: issued.admin.token,
    supervisor: issued.supervisor.token,
    agent: issued.agent.token,
  };
  return {
    rig,
    api,
    roster,
    dir,
    auditPath,
    editsPath,
    auditLines() {
      let text = '';
      try {
        text = readFileSync(auditPath, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as AuditEntry);
    },
    tokens,
    as(who, o) {
      const headers = { ...(o.headers ?? {}), ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}) };
      return api.inject({ ...o, headers });
    },
    async close() {
      roster.close();
      await api.close();
      await rig.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
