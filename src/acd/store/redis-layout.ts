import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
 */
export type KeyName = 'roster' | 'agents' | 'calls' | 'holds' | 'deadlines' | 'queues' | 'changes';

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
  };
}

export interface Script {
  name: string;
  keys: number;
  lua: string;
  sha: string;
}

const lua = (file: string) => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');

/** Reads `lua/<name>-<keys>.lua`, inlining `--- @include "part"` lines from `lua/includes/`. */
function loadScript(name: string, keys: number): Script {
  const source = lua(`${name}-${keys}.lua`).replace(/^--- @include "([\w-]+)"$/gm, (_, part: string) =>
    lua(`includes/${part}.lua`),
  );
  return { name, keys, lua: source, sha: createHash('sha1').update(source).digest('hex') };
}

export const scripts = {
  reserve: loadScript('reserve', 4),
  renew: loadScript('renew', 4),
  confirm: loadScript('confirm', 5),
  release: loadScript('release', 5),
  complete: loadScript('complete', 5),
  expire: loadScript('expire', 4),
  enqueue: loadScript('enqueue', 2),
  remove: loadScript('remove', 1),
  cas: loadScript('cas', 1),
};

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
