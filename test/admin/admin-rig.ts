import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import type { DraftBudget } from '../../src/admin/draft-pool.ts';
import type { AccessEntry, AuditEntry } from '../../src/admin/ledgers.ts';
import { RosterAdmin } from '../../src/admin/roster-admin.ts';
import { MemoryRosterStore } from '../../src/admin/roster-store.ts';
import { RulesAdmin } from '../../src/admin/rules-admin.ts';
import { FileVersionStore } from '../../src/admin/rules-versions.ts';
import { issueToken, type Role, TokenSet } from '../../src/admin/tokens.ts';
import type { ScreenPopSources } from '../../src/api/screen-pop.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { type Rig, root, startRig } from '../support/engine-harness.ts';

export const rulesDir = join(root, 'routing-rules');

export interface AdminRig {
  rig: Rig;
  api: FastifyInstance;
  rules: RulesAdmin;
  ledger: MemoryAppendLog<AccessEntry>;
  audit: MemoryAppendLog<AuditEntry>;
  /** Bearer tokens by name: admin, supervisor, a1001 (agent), a1002 (agent). */
  tokens: Record<'admin' | 'supervisor' | 'a1001' | 'a1002', string>;
  /** `inject` with the named token's Authorization header. */
  as(who: keyof AdminRig['tokens'] | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const roster: RosterEntry[] = [
  { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
  { id: 'a1002', name: '李强', endpoint: 'PJSIP/agent1002', pools: ['general'], skills: { general: 5 } },
];

/**
 * The engine on the simulator, rules administration over a fresh version folder, the API with tokens.
 * Time is the rig's stepped virtual time (drive it with `rig.runUntil` / `rig.advance`); `speed`
 * selects the old real-time clock instead, for tests that cannot drive time (see engine-harness).
 */
export async function startAdminRig(
  options: {
    roster?: RosterEntry[];
    speed?: number;
    promptMs?: number;
    authFailures?: number;
    /** The API's trusted reverse proxies (`HTTP_TRUSTED_PROXIES`). */
    trustProxy?: string[];
    /** What compiling one draft may cost (default: the service's `draftBudget`). */
    draftBudget?: DraftBudget;
    /** Where the screen pop finds earlier calls and standard answers (default: neither). */
    screenPop?: ScreenPopSources;
    /** The JSONL records file the API's what-if reads (default: none). */
    recordsPath?: string;
  } = {},
): Promise<AdminRig> {
  const versionsDir = mkdtempSync(join(tmpdir(), 'hotline-versions-'));
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const audit = new MemoryAppendLog<AuditEntry>();
  const ledger = new MemoryAppendLog<AccessEntry>();
  const rosterUsed = options.roster ?? roster;
  const rig = await startRig({
    roster: rosterUsed,
    ...(options.speed !== undefined ? { speed: options.speed } : {}),
    ...(options.promptMs !== undefined ? { promptMs: options.promptMs } : {}),
  });
  const rules = await RulesAdmin.open({
    versions: new FileVersionStore(versionsDir, 50),
    rulesDir,
    audit,
    clock: rig.clock,
    logger,
    ...(options.draftBudget ? { draftBudget: options.draftBudget } : {}),
  });
  await rules.attach((plan) => rig.hotline.setPlan(plan));
  const rosterAdmin = await RosterAdmin.open({
    baseline: rosterUsed,
    store: new MemoryRosterStore(),
    audit,
    plan: () => rig.hotline.plan,
    clock: rig.clock,
    logger,
  });
  await rosterAdmin.attach(rig.hotline);
  const issued = {
    admin: issueToken('ops-admin', 'admin'),
    supervisor: issueToken('duty-supervisor', 'supervisor'),
    a1001: issueToken('a1001', 'agent', 'a1001'),
    a1002: issueToken('a1002', 'agent', 'a1002'),
  };
  const api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(rosterUsed, 'sichuan'),
    clock: rig.clock,
    logger,
    tokens: new TokenSet(Object.values(issued).map((i) => i.entry)),
    authFailures: { max: options.authFailures ?? 1000, windowMs: 60_000 },
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    ledger,
    audit,
    rules,
    rosterAdmin,
    ...(options.screenPop ? { screenPop: options.screenPop } : {}),
    ...(options.recordsPath ? { recordsPath: options.recordsPath } : {}),
  });
  const tokens = {
    admin: issued.admin.token,
    supervisor: issued.supervisor.token,
    a1001: issued.a1001.token,
    a1002: issued.a1002.token,
  };
  return {
    rig,
    api,
    rules,
    ledger,
    audit,
    tokens,
    as(who, o) {
      const headers = { ...(o.headers ?? {}), ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}) };
      return api.inject({ ...o, headers });
    },
    async close() {
      rosterAdmin.close();
      await api.close();
      await rules.close();
      await rig.close();
      rmSync(versionsDir, { recursive: true, force: true });
    },
  };
}

export type { Role };
