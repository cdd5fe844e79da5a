import {
  type Agent,
  type AgentDefinitionInput,
  type AgentStatus,
  agentDefinitionSchema,
  initialStatus,
} from '../../src/acd/agent.ts';
import {
  type QueuedCall,
  type QueuePolicy,
  type QueuePolicyInput,
  queuePolicySchema,
} from '../../src/acd/queue-policy.ts';

/** Midnight 2026-01-01 in Shanghai is 2025-12-31T16:00Z; tests start at 09:00 Shanghai time. */
export const T0 = Date.UTC(2026, 0, 1, 1, 0, 0);

export function definition(id: string, extra: Partial<AgentDefinitionInput> = {}): AgentDefinitionInput {
  return {
    id,
    name: `Agent ${id}`,
    centerId: 'c1',
    endpoint: `PJSIP/agent${id}`,
    pools: ['general'],
    ...extra,
  };
}

/** A hand-built agent: ready since `readySince` unless the status says otherwise. */
export function agent(
  id: string,
  extra: Partial<AgentDefinitionInput> = {},
  status: Partial<AgentStatus> = {},
): Agent {
  const def = agentDefinitionSchema.parse(definition(id, extra));
  return {
    ...def,
    status: {
      ...initialStatus(T0),
      state: 'ready',
      since: T0,
      readySince: T0,
      endpoint: def.endpoint,
      ...status,
    },
  };
}

export function policy(id: string, extra: Partial<QueuePolicyInput> = {}): QueuePolicy {
  return queuePolicySchema.parse({
    id,
    kind: 'pool',
    name: id,
    wrapUpSeconds: 10,
    maxWaitSeconds: 600,
    ...extra,
  });
}

export function call(callId: string, extra: Partial<QueuedCall> = {}): QueuedCall {
  return { callId, queueId: 'general', priority: 0, enqueuedAt: T0, engineId: 'e1', ...extra };
}
