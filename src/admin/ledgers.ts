import type { AgentState } from '../acd/agent.ts';
import type { MonitorAuditRecord } from '../calls/runtime/monitors.ts';
import type { AppendLog } from './append-log.ts';
import type { AdminAgent } from './roster-edits.ts';
import type { Role } from './tokens.ts';

/** One read of callers' data: who (token), which route, which calls, when. */
export interface AccessEntry {
  at: string;
  tokenId: string;
  role: Role;
  method: string;
  route: string;
  callIds: string[];
  address: string;
  /** A recording played back (GET /recordings/:id): its name. */
  recording?: string;
  /** A report read (GET /reports/…): which one, its range and split, JSON or CSV. */
  report?: { name: string; from: string; to: string; grain?: string; by?: string; format: string };
}

/** A rules change an administrator made (publish, rollback), with a summary of the diff. */
export interface RulesAuditEntry {
  at: string;
  tokenId: string;
  action: 'publish' | 'rollback';
  version: number;
  previous: number;
  rollbackOf?: number;
  message?: string;
  changes: { file: string; status: string; added: number; removed: number }[];
}

/** A what-if (试算) of a rules draft against the live rules (POST /rules/whatif): who, on what traffic. */
export interface WhatIfAuditEntry {
  at: string;
  tokenId: string;
  role: Role;
  action: 'rules-whatif';
  /** The live version the draft was compared with. */
  liveVersion: number;
  /** The traffic asked for, and the day replayed (its source, day and calls) when it ran. */
  traffic: {
    asked: 'recent' | 'profile';
    replayed?: { source: 'records' | 'profile'; date: string; calls: number };
  };
  /** The draft's files changed against the live version. */
  changes: { file: string; status: string; added: number; removed: number }[];
  /** Done, or failed (input the replay could not use, a budget exceeded, an error: `reason`). */
  outcome: 'done' | 'failed';
  reason?: string;
  /** Wall time of the replay, ms. */
  ms: number;
}

/** What a supervisor (or admin) did to another agent's state through the agent API. */
export const agentAuditActions = [
  'agent-login',
  'agent-ready',
  'agent-not-ready',
  'agent-logout',
  'agent-end-wrap-up',
] as const;
export type AgentAuditAction = (typeof agentAuditActions)[number];

/** A change to an agent's state made by someone other than the agent: who, which agent, from → to, why. */
export interface AgentStateAuditEntry {
  at: string;
  tokenId: string;
  role: Role;
  action: AgentAuditAction;
  agentId: string;
  from: AgentState;
  to: AgentState;
  /** The not-ready reason given (not-ready only). */
  reason?: string;
  /** The phone chosen (login only). */
  endpoint?: string;
}

/** An administrator held admission control's state (src/api/admission.ts) or released the hold. */
export interface AdmissionAuditEntry {
  at: string;
  tokenId: string;
  role: Role;
  action: 'admission-hold' | 'admission-release';
  /** The state held (hold only). */
  held?: 'normal' | 'shedding' | 'critical';
  from: 'normal' | 'shedding' | 'critical';
  to: 'normal' | 'shedding' | 'critical';
}

/** An administrator added, changed, disabled or enabled an agent (src/admin/roster-admin.ts). */
export type RosterAuditAction = 'roster-add' | 'roster-change' | 'roster-disable' | 'roster-enable';
export interface RosterAuditEntry {
  at: string;
  tokenId: string;
  role: Role;
  action: RosterAuditAction;
  /** The agent's id. */
  agent: string;
  /** The fields that changed (`pools`, `skills`, `disabled`…). */
  changed: string[];
  /** The agent before (absent when added) and after. */
  before?: AdminAgent;
  after: AdminAgent;
}

/** One entry of the audit log, told apart by its `action`. */
export type AuditEntry =
  | RulesAuditEntry
  | AgentStateAuditEntry
  | AdmissionAuditEntry
  | RosterAuditEntry
  | WhatIfAuditEntry
  /** A supervisor listened to, whispered on or barged into a call (src/calls/runtime/monitors.ts). */
  | MonitorAuditRecord;

/** Whether an audit entry is a rules change (publish, rollback). */
export function isRulesAuditEntry(e: AuditEntry): e is RulesAuditEntry {
  return e.action === 'publish' || e.action === 'rollback';
}

export type AccessLedger = AppendLog<AccessEntry>;
export type AuditLog = AppendLog<AuditEntry>;
