import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { type Agent, type AgentDefinitionInput, countersOn, endpointSchema } from '../acd/agent.ts';
import { NoSuchAgentError } from '../acd/errors.ts';
import { queueFigures } from '../acd/queue-figures.ts';
import type { AcdStore } from '../acd/store/port.ts';
import type { AuditLog } from '../admin/ledgers.ts';
import type { Clock } from '../clock.ts';
import { invalidRequest, useErrorCatalogue } from './errors.ts';

/**
 * The agent API (the agent toolbar and supervisors): log in and out, ready / not-ready, end
 * wrap-up, read agents and live queue figures. Registered as an encapsulated fastify plugin with
 * the store, the roster (agents are defined up front) and the clock:
 *   app.register(agentsApi, { store, roster, clock })
 */
export interface AgentsApiOptions {
  store: AcdStore;
  roster: readonly AgentDefinitionInput[];
  clock: Clock;
  /** Where supervisors' changes to agents' states are written. */
  audit?: AuditLog;
}

const paramsSchema = z.object({ id: z.string().min(1).max(64) });
const loginSchema = z.object({ endpoint: endpointSchema });
const notReadySchema = z.object({ reason: z.string().trim().min(1).max(64) });

function parse<T>(schema: z.ZodType<T>, value: unknown, part: string): T {
  const out = schema.safeParse(value);
  if (!out.success) throw invalidRequest(part, out.error);
  return out.data;
}

/** What the API shows of an agent: the roster entry, its live state and today's counters. */
export function agentView(agent: Agent, now: number) {
  const s = agent.status;
  return {
    id: agent.id,
    name: agent.name,
    centerId: agent.centerId,
    skills: agent.skills,
    pools: agent.pools,
    expertSeats: agent.expertSeats,
    department: agent.department,
    state: s.state,
    since: new Date(s.since).toISOString(),
    endpoint: s.endpoint ?? agent.endpoint,
    notReadyReason: s.notReadyReason,
    pendingNotReady: s.pendingNotReady,
    callId: s.callId,
    queueId: s.queueId,
    wrapUpEndsAt:
      s.state === 'wrap-up' && s.until !== undefined ? new Date(s.until).toISOString() : undefined,
    deviceAvailable: s.deviceAvailable,
    today: countersOn(s.counters, now),
  };
}

export const agentsApi: FastifyPluginAsync<AgentsApiOptions> = async (app, { store, roster, clock }) => {
  useErrorCatalogue(app);
  await store.upsertAgents(roster);
  const known = new Set(roster.map((a) => a.id));

  const agentId = (params: unknown): string => {
    const { id } = parse(paramsSchema, params, 'params');
    if (!known.has(id)) throw new NoSuchAgentError(id);
    return id;
  };
  const show = (agent: Agent) => agentView(agent, clock.now());

  app.post('/agents/:id/login', async (req) => {
    const id = agentId(req.params);
    const { endpoint } = parse(loginSchema, req.body, 'body');
    return show(await store.login(id, endpoint));
  });

  app.post('/agents/:id/ready', async (req) => show(await store.ready(agentId(req.params))));

  app.post('/agents/:id/not-ready', async (req) => {
    const id = agentId(req.params);
    const { reason } = parse(notReadySchema, req.body, 'body');
    return show(await store.notReady(id, reason));
  });

  app.post('/agents/:id/logout', async (req) => show(await store.logout(agentId(req.params))));

  app.post('/agents/:id/wrap-up/end', async (req) => show(await store.endWrapUp(agentId(req.params))));

  app.get('/agents/:id', async (req) => {
    const id = agentId(req.params);
    const agent = await store.getAgent(id);
    if (!agent) throw new NoSuchAgentError(id);
    return show(agent);
  });

  app.get('/agents', async () => {
    const agents = (await store.listAgents()).filter((a) => known.has(a.id));
    agents.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { agents: agents.map(show) };
  });

  app.get('/queues', async () => {
    const [policies, snapshot] = await Promise.all([store.queues(), store.snapshot()]);
    const now = clock.now();
    const agents = snapshot.agents.filter((a) => known.has(a.id));
    return { queues: queueFigures(policies, agents, snapshot.calls, now) };
  });
};
