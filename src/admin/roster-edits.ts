import { z } from 'zod';
import { deviceEndpointSchema, skillLevelSchema } from '../acd/agent.ts';
import { HotlineError } from '../errors.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import type { RosterEntry } from '../roster.ts';

/**
 * Agents administered without editing YAML: the schemas of what an administrator sends, and the
 * pure edits (add, change, disable, enable) of the roster, checked against the routing plan.
 * The roster file (HOTLINE_ROSTER) stays the baseline; an agent an administrator added or changed
 * is kept whole (`AdminAgent`) and replaces the file's entry of the same id.
 */

const agentId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (1 to 64)');
const planId = z.string().trim().min(1).max(64);

/** Everything an administrator sets of an agent; a change sends all of it (it replaces the definition). */
export const AgentFields = z
  .object({
    name: z.string().trim().min(1).max(64),
    /** The default phone; without it the first of `endpoints`, else `PJSIP/<id>`. */
    endpoint: deviceEndpointSchema.optional(),
    /** Further phones of the agent (a second desk). */
    endpoints: z.array(deviceEndpointSchema).max(16).optional(),
    /** Skill name → level 1–10. */
    skills: z
      .record(z.string().trim().min(1).max(64), skillLevelSchema)
      .refine((s) => Object.keys(s).length <= 64, 'at most 64 skills')
      .default({}),
    /** Pools of the routing plan, by id (`general`). */
    pools: z.array(planId).max(64).default([]),
    /** Expert seat groups of the routing plan, by id. */
    expertSeats: z.array(planId).max(64).default([]),
    department: z.string().trim().min(1).max(64).optional(),
  })
  .strict();

/** `POST /roster/agents`: a new agent. */
export const NewAgentBody = AgentFields.extend({ id: agentId }).strict();
/** `PUT /roster/agents/:id`: the agent's whole definition. */
export const ChangeAgentBody = AgentFields;
export const AgentParams = z.object({ id: agentId });

/** An agent as administered: its definition and whether it is disabled (kept, offered no calls). */
export const AdminAgentSchema = AgentFields.extend({ id: agentId, disabled: z.boolean() }).strict();
export type AdminAgent = z.infer<typeof AdminAgentSchema>;
export type AgentFieldsInput = z.infer<typeof AgentFields>;
export type NewAgentInput = z.infer<typeof NewAgentBody>;

export type RosterEditCode = 'invalid-request' | 'no-such-agent' | 'agent-exists';

/** An edit refused: its stable code, and the field at fault (`pools.1`, relative to the body). */
export class RosterEditError extends HotlineError {
  constructor(
    code: RosterEditCode,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
  }
}

/** A roster file entry as administered (not disabled), with its defaults filled in. */
export function fromRosterEntry(entry: RosterEntry): AdminAgent {
  return {
    id: entry.id,
    name: entry.name,
    ...(entry.endpoint !== undefined ? { endpoint: entry.endpoint } : {}),
    ...(entry.endpoints !== undefined ? { endpoints: [...entry.endpoints] } : {}),
    skills: { ...(entry.skills ?? {}) },
    pools: [...(entry.pools ?? [])],
    expertSeats: [...(entry.expertSeats ?? [])],
    ...(entry.department !== undefined ? { department: entry.department } : {}),
    disabled: false,
  };
}

/** The roster in force: the file's entries, each replaced by its administered version, then the agents added. */
export function mergeRoster(baseline: readonly RosterEntry[], edits: readonly AdminAgent[]): AdminAgent[] {
  const edited = new Map(edits.map((a) => [a.id, a]));
  const out = baseline.map((e) => edited.get(e.id) ?? fromRosterEntry(e));
  const inFile = new Set(baseline.map((e) => e.id));
  const added = edits.filter((a) => !inFile.has(a.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
  return [...out, ...added];
}

/** The phones an agent names, default first (none: `PJSIP/<id>`). */
export function phonesOf(agent: Pick<AdminAgent, 'id' | 'endpoint' | 'endpoints'>): string[] {
  const named = [...(agent.endpoint !== undefined ? [agent.endpoint] : []), ...(agent.endpoints ?? [])];
  return named.length > 0 ? [...new Set(named)] : [`PJSIP/${agent.id}`];
}

/**
 * Checks an agent against the plan and the rest of the roster: its pools and expert seats exist in
 * the routing plan (every unknown id named), and none of its phones belongs to another agent.
 */
export function checkAgent(agent: AdminAgent, roster: readonly AdminAgent[], plan: RoutingPlan): void {
  for (const [field, ids, table, what] of [
    ['pools', agent.pools, plan.pools, 'pool'],
    ['expertSeats', agent.expertSeats, plan.experts, 'expert seat group'],
  ] as const) {
    const unknown = ids.filter((id) => !table.has(id));
    if (unknown.length > 0) {
      const first = ids.indexOf(unknown[0]!);
      throw new RosterEditError(
        'invalid-request',
        `${field}: no ${what} ${unknown.map((u) => `"${u}"`).join(', ')} in the routing plan ` +
          `(it has: ${[...table.keys()].join(', ') || 'none'})`,
        `${field}.${first}`,
      );
    }
    const twice = ids.findIndex((id, i) => ids.indexOf(id) !== i);
    if (twice >= 0)
      throw new RosterEditError(
        'invalid-request',
        `${field}: "${ids[twice]}" is named twice`,
        `${field}.${twice}`,
      );
  }
  const owners = new Map<string, string>();
  for (const other of roster)
    if (other.id !== agent.id) for (const p of phonesOf(other)) owners.set(p, other.id);
  const named: [string, string][] = [
    ...(agent.endpoint !== undefined ? [[agent.endpoint, 'endpoint'] as [string, string]] : []),
    ...(agent.endpoints ?? []).map((e, i): [string, string] => [e, `endpoints.${i}`]),
  ];
  if (named.length === 0) named.push([`PJSIP/${agent.id}`, 'id']);
  for (const [phone, field] of named) {
    const owner = owners.get(phone);
    if (owner !== undefined)
      throw new RosterEditError(
        'invalid-request',
        `${field}: ${phone} is already assigned to agent "${owner}": an endpoint belongs to one agent`,
        field,
      );
  }
}

/** The result of an edit: the new roster, and the agent before and after. */
export interface RosterEdit {
  roster: AdminAgent[];
  before?: AdminAgent;
  after: AdminAgent;
}

function indexOf(roster: readonly AdminAgent[], id: string): number {
  const i = roster.findIndex((a) => a.id === id);
  if (i < 0) throw new RosterEditError('no-such-agent', `no agent "${id}" in the roster`);
  return i;
}

function replaced(roster: readonly AdminAgent[], i: number, agent: AdminAgent): AdminAgent[] {
  return roster.map((a, k) => (k === i ? agent : a));
}

/** Adds an agent (refused if the id exists, a pool or seat is unknown, or a phone is taken). */
export function addAgent(roster: readonly AdminAgent[], input: NewAgentInput, plan: RoutingPlan): RosterEdit {
  if (roster.some((a) => a.id === input.id))
    throw new RosterEditError('agent-exists', `agent "${input.id}" already exists: change it instead`, 'id');
  const { id, ...fields } = input;
  const after: AdminAgent = { id, ...fields, disabled: false };
  checkAgent(after, roster, plan);
  return { roster: [...roster, after], after };
}

/** Replaces an agent's definition; whether it is disabled is kept. */
export function changeAgent(
  roster: readonly AdminAgent[],
  id: string,
  fields: AgentFieldsInput,
  plan: RoutingPlan,
): RosterEdit {
  const i = indexOf(roster, id);
  const before = roster[i]!;
  const after: AdminAgent = { id, ...fields, disabled: before.disabled };
  checkAgent(after, roster, plan);
  return { roster: replaced(roster, i, after), before, after };
}

/** Disables (offered no calls from now on) or enables an agent again. */
export function setDisabled(roster: readonly AdminAgent[], id: string, disabled: boolean): RosterEdit {
  const i = indexOf(roster, id);
  const before = roster[i]!;
  const after: AdminAgent = { ...before, disabled };
  return { roster: replaced(roster, i, after), before, after };
}

/** The fields that differ between two versions of an agent. */
export function changedFields(before: AdminAgent | undefined, after: AdminAgent): string[] {
  const keys = [
    'name',
    'endpoint',
    'endpoints',
    'skills',
    'pools',
    'expertSeats',
    'department',
    'disabled',
  ] as const;
  const same = (x: unknown, y: unknown) => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
  return keys.filter((k) => !same(before?.[k], after[k]) && (before !== undefined || after[k] !== undefined));
}

/**
 * What the engine is given: every agent as a roster entry (a disabled one in no pool and no
 * expert seat, so it is offered nothing) and the ids of the disabled ones.
 */
export function engineRoster(roster: readonly AdminAgent[]): {
  entries: RosterEntry[];
  disabled: Set<string>;
} {
  const disabled = new Set<string>();
  const entries = roster.map(({ disabled: off, ...a }): RosterEntry => {
    if (!off) return a;
    disabled.add(a.id);
    return { ...a, pools: [], expertSeats: [] };
  });
  return { entries, disabled };
}
