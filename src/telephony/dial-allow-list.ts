import { type AgentPhones, assignedEndpoints } from '../acd/agent.ts';
import type { RoutingPlan } from '../plan/compile.ts';

/** What an allow-list is built from: the agents' assigned phones and the plan's dial targets. */
export interface DialAllowListSource {
  agents: readonly AgentPhones[];
  plan: RoutingPlan;
}

/**
 * Every endpoint the engine may originate a call to: the phones the roster assigns to agents,
 * and the dial strings of the plan's sub-centers, departments' own lines, emergency lines, other
 * centers and directory entries (the trunks). Anything else — a number on a trunk an agent typed at login, a
 * `Local/` channel, a phone no longer assigned — is refused before the PBX is asked. Built once
 * per roster and published plan; a check is one Set lookup.
 */
export class DialAllowList {
  private constructor(
    private readonly agentPhones: ReadonlySet<string>,
    private readonly planTargets: ReadonlySet<string>,
  ) {}

  static build(source: DialAllowListSource): DialAllowList {
    const phones = new Set<string>();
    for (const a of source.agents) for (const e of assignedEndpoints(a)) phones.add(e);
    const { subcenters, departments, emergency, centers, directory } = source.plan;
    const targets = new Set<string>();
    for (const table of [subcenters, departments, emergency, centers, directory])
      for (const t of table.values()) targets.add(t.dial);
    return new DialAllowList(phones, targets);
  }

  /** Whether the engine may ring this endpoint for a leg of the given role. */
  allows(endpoint: string, role: 'agent' | 'target'): boolean {
    return role === 'agent' ? this.agentPhones.has(endpoint) : this.planTargets.has(endpoint);
  }

  /** How many endpoints are allowed (agents' phones, plan targets). */
  get size(): { agents: number; targets: number } {
    return { agents: this.agentPhones.size, targets: this.planTargets.size };
  }
}
