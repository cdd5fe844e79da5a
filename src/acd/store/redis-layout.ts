import { loadLuaScripts } from '../../redis/lua-scripts.ts';
import type { Agent, AgentDefinition, AgentStatus } from '../agent.ts';
import { AcdError, NoSuchReservationError } from '../errors.ts';
import type { QueuedCall } from '../queue-policy.ts';

/**
 * The Redis store's data layout, Lua scripts and reply decoding (no connection here).
 * Keys: `<prefix>:{<centerId>}:<name>` (the braces make a cluster hash tag: one slot per center).
 *   roster     hash agentId → definition JSON        agents  hash agentId → status JSON
 *   calls      hash callId → waiting call JSON        holds   hash callId → agentId holding it
 *   deadlines  zset agentId by reservation expiry / wrap-up end      queues  hash queueId → policy
 *   changes    pub/sub channel of the change feed
 *   declared   hash agentId → 'd|' / 'r|' + the status a roster declaration / a restore wrote
 *   epoch      string: a token of the store's state, made anew when Redis lost it (restarted empty)
 */
export type KeyName =
  | 'roster'
  | 'agents'
  | 'calls'
  | 'holds'
  | 'deadlines'
  | 'queues'
  | 'changes'
  | 'declared'
  | 'epoch';

export function centerKeys(keyPrefix: string, centerId: string): Record<KeyName, string> {
  const base = `${keyPrefix}:{${centerId}}:`;
  return {
    roster: `${base}roster`,
    agents: `${base}agents`,
    calls: `${base}calls`,
    holds: `${base}holds`,
    deadlines: `${base}deadlines`,
    queues: `${base}queues`,
    changes: `${base}changes`,
    declared: `${base}declared`,
    epoch: `${base}epoch`,
  };
}

/** The store's Lua scripts, `lua/<name>-<keys>.lua` (loaded by the shared loader). */
export const scripts = loadLuaScripts(new URL('./lua/', import.meta.url), {
  reserve: ['reserve', 4],
  renew: ['renew', 4],
  confirm: ['confirm', 5],
  release: ['release', 5],
  complete: ['complete', 5],
  expire: ['expire', 4],
  enqueue: ['enqueue', 2],
  remove: ['remove', 1],
  markCallback: ['mark-callback', 1],
  cas: ['cas', 1],
  restore: ['restore', 5],
});

export function toAgent(def: string, status: string): Agent {
  return { ...(JSON.parse(def) as AgentDefinition), status: JSON.parse(status) as AgentStatus };
}

export function toCall(raw: string): QueuedCall {
  return JSON.parse(raw) as QueuedCall;
}

/** Decodes `{ 'ok', definition, status }` or `{ 'no-such-reservation', detail }`. */
export function agentReply(callId: string, out: unknown): Agent {
  if (!Array.isArray(out)) throw new AcdError('store-conflict', `unexpected reply for call '${callId}'`);
  const [tag, a, b] = out as [string, string, string];
  if (tag !== 'ok') throw new NoSuchReservationError(callId, a);
  return toAgent(a, b);
}
