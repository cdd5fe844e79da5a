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
 * centers and directory entries (the trunks), and the queues' call-back trunks with a caller's
 * number (3 to 20 digits) in place of `{number}`. Anything else — a number on a trunk an agent typed at login, a
 * `Local/` channel, a phone no longer assigned — is refused before the PBX is asked. Built once
 * per roster and published plan; a check is one Set lookup.
 */
export class DialAllowList {
  private constructor(
    private readonly agentPhones: ReadonlySet<string>,
    private readonly planTargets: ReadonlySet<string>,
    /** The call-back trunks (`PJSIP/{number}@citizen-trunk`) as patterns: the number is digits only. */
    private readonly callbackTrunks: readonly RegExp[] = [],
  ) {}

  static build(source: DialAllowListSource): DialAllowList {
    const phones = new Set<string>();
    for (const a of source.agents) for (const e of assignedEndpoints(a)) phones.add(e);
    const { subcenters, departments, emergency, centers, directory } = source.plan;
    const targets = new Set<string>();
    for (const table of [subcenters, departments, emergency, centers, directory])
      for (const t of table.values()) targets.add(t.dial);
    const trunks = new Set<string>();
    for (const q of [...source.plan.pools.values(), ...source.plan.experts.values()])
      if (q.queue.callback) trunks.add(q.queue.callback.dial);
    return new DialAllowList(phones, targets, [...trunks].map(trunkPattern));
  }

  /** Whether the engine may ring this endpoint for a leg of the given role. */
  allows(endpoint: string, role: 'agent' | 'target'): boolean {
    if (role === 'agent') return this.agentPhones.has(endpoint);
    return this.planTargets.has(endpoint) || this.callbackTrunks.some((p) => p.test(endpoint));
  }

  /** How many endpoints are allowed (agents' phones, plan targets). */
  get size(): { agents: number; targets: number } {
    return { agents: this.agentPhones.size, targets: this.planTargets.size };
  }
}

/** A call-back trunk's dial string as a pattern: `{number}` stands for 3 to 20 digits, the rest is literal. */
function trunkPattern(dial: string): RegExp {
  const [before, after] = dial.split('{number}').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${before}[0-9]{3,20}${after ?? ''}$`);
}
