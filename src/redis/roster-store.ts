import type { Redis } from 'ioredis';
import { type AdminAgent, AdminAgentSchema } from '../admin/roster-edits.ts';
import { type RosterEditStore, RosterStoreError } from '../admin/roster-store.ts';

export interface RedisRosterStoreOptions {
  redis: Redis;
  centerId: string;
  /** Namespace of the keys (default `hotline`). */
  keyPrefix?: string;
}

/**
 * The administered agents in Redis, shared by every engine process of the center:
 *   <prefix>:<center>:roster-edits          hash  agent id → the agent (JSON)
 *   <prefix>:<center>:roster-edits:version  string, incremented with every change
 * A change writes the agent and increments the version in one MULTI, so a process that reads
 * the version after it also reads the agent.
 */
export class RedisRosterStore implements RosterEditStore {
  private readonly hash: string;
  private readonly versionKey: string;

  constructor(private readonly o: RedisRosterStoreOptions) {
    const base = `${o.keyPrefix ?? 'hotline'}:${o.centerId}:roster-edits`;
    this.hash = base;
    this.versionKey = `${base}:version`;
  }

  async load(): Promise<{ version: number; agents: AdminAgent[] }> {
    const replies = await this.o.redis.multi().get(this.versionKey).hgetall(this.hash).exec();
    if (!replies) throw new RosterStoreError(`${this.hash}: the read was aborted`);
    const [versionReply, agentsReply] = replies;
    if (versionReply?.[0]) throw versionReply[0];
    if (agentsReply?.[0]) throw agentsReply[0];
    const version = Number(versionReply?.[1] ?? 0);
    const agents: AdminAgent[] = [];
    for (const [id, json] of Object.entries((agentsReply?.[1] ?? {}) as Record<string, string>)) {
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch {
        throw new RosterStoreError(`${this.hash} ${id}: not JSON`);
      }
      const parsed = AdminAgentSchema.safeParse(value);
      if (!parsed.success || parsed.data.id !== id) {
        throw new RosterStoreError(
          `${this.hash} ${id}: not an agent (${parsed.error?.issues[0]?.message ?? 'id differs'})`,
        );
      }
      agents.push(parsed.data);
    }
    agents.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { version, agents };
  }

  async save(agent: AdminAgent): Promise<number> {
    const replies = await this.o.redis
      .multi()
      .hset(this.hash, agent.id, JSON.stringify(agent))
      .incr(this.versionKey)
      .exec();
    const incr = replies?.[1];
    if (!incr || incr[0]) throw incr?.[0] ?? new RosterStoreError(`${this.hash}: the write was aborted`);
    return Number(incr[1]);
  }

  async version(): Promise<number> {
    return Number((await this.o.redis.get(this.versionKey)) ?? 0);
  }
}
