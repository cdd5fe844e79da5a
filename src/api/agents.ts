import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  type Agent,
  type AgentDefinitionInput,
  type AgentPhones,
  type AgentState,
  assignedEndpoints,
  countersOn,
  defaultEndpoint,
} from '../acd/agent.ts';
import { LOGIN_REASON } from '../acd/agent-state.ts';
import { NoSuchAgentError } from '../acd/errors.ts';
import { queueFigures } from '../acd/queue-figures.ts';
import type { AcdStore } from '../acd/store/port.ts';
import type { AgentAuditAction, AuditLog } from '../admin/ledgers.ts';
import type { Clock } from '../clock.ts';
import { DEFAULT_NOT_READY_REASONS } from '../plan/schema.ts';
import {
  AgentDisabledError,
  EndpointNotAssignedError,
  InvalidRequestError,
  invalidRequest,
  useErrorCatalogue,
} from './errors.ts';

/**
 * The agent API (the agent toolbar and supervisors): log in (not-ready `登录` until the agent says
 * ready) and out, ready / not-ready with one of the center's reasons, end wrap-up, read agents and
 * live queue figures. Registered as an encapsulated fastify plugin with the store, the roster
 * (agents are defined up front) and the clock:
 *   app.register(agentsApi, { store, roster, clock, notReadyReasons: () => plan.center.notReadyReasons })
 */
export interface AgentsApiOptions {
  store: AcdStore;
  roster: readonly AgentDefinitionInput[];
  clock: Clock;
  /** Where supervisors' changes to agents' states are written. */
  audit?: AuditLog;
  /** The center's not-ready reasons, as the live plan has them (default: DEFAULT_NOT_READY_REASONS). */
  notReadyReasons?: () => readonly string[];
  /**
   * The live roster when agents are administered through the API (src/admin/roster-admin.ts):
   * agents added, changed or disabled since start are looked up here, not in `roster`.
   */
  directory?: AgentDirectory;
}

/** Agents as administered now: a definition by id, with whether an administrator disabled it. */
export interface AgentDirectory {
  agent(id: string): (AgentPhones & { disabled: boolean }) | undefined;
}

const paramsSchema = z.object({ id: z.string().min(1).max(64) });
/** The phone to log in on: one of the agent's assigned endpoints (default: the roster's default). */
const loginSchema = z.object({ endpoint: z.string().trim().min(1).max(128).optional() });
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
    endpoint: s.endpoint ?? defaultEndpoint(agent),
    /** The phones the roster assigns to the agent, the default first: what a login may choose. */
    endpoints: assignedEndpoints(agent),
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

export const agentsApi: FastifyPluginAsync<AgentsApiOptions> = async (
  app,
  { store, roster, clock, audit, notReadyReasons = () => DEFAULT_NOT_READY_REASONS, directory },
) => {
  useErrorCatalogue(app);
  await store.upsertAgents(roster);
  const fixed = new Map(roster.map((a) => [a.id, { ...a, disabled: false }]));
  const definition = (id: string) => (directory ? directory.agent(id) : fixed.get(id));
  const known = (id: string) => definition(id) !== undefined;

  const agentId = (params: unknown): string => {
    const { id } = parse(paramsSchema, params, 'params');
    if (!known(id)) throw new NoSuchAgentError(id);
    return id;
  };
  const show = (agent: Agent) => agentView(agent, clock.now());

  /** A not-ready reason must be one of the center's list (the toolbar offers exactly those). */
  const checkReason = (reason: string): string => {
    const allowed = notReadyReasons();
    if (!allowed.includes(reason))
      throw new InvalidRequestError(
        `body.reason: '${reason}' is not one of the center's not-ready reasons (${allowed.join(', ')})`,
        'body.reason',
      );
    return reason;
  };

  /** The phone a login uses: the one asked for if the roster assigns it to the agent, else refused. */
  const phoneFor = (id: string, asked: string | undefined): string => {
    const def = definition(id);
    if (def?.disabled) throw new AgentDisabledError(id);
    const assigned = def ? assignedEndpoints(def) : [];
    const endpoint = asked ?? assigned[0];
    if (endpoint === undefined) throw new EndpointNotAssignedError(id, undefined, assigned);
    if (!assigned.includes(endpoint)) throw new EndpointNotAssignedError(id, endpoint, assigned);
    return endpoint;
  };

  /**
   * Runs a change of an agent's state. One made by someone other than the agent (a supervisor's
   * token) goes to the audit log: who, which agent, what, from which state to which.
   */
  const change = async (
    req: FastifyRequest,
    id: string,
    action: AgentAuditAction,
    apply: () => Promise<Agent>,
    detail: { reason?: string; endpoint?: string } = {},
  ): Promise<Agent> => {
    const who = req.principal;
    if (!audit || !who || (who.role === 'agent' && who.agentId === id)) return apply();
    const before = await store.getAgent(id);
    const after = await apply();
    const from: AgentState = before?.status.state ?? 'logged-out';
    await audit.append({
      at: new Date(clock.now()).toISOString(),
      tokenId: who.tokenId,
      role: who.role,
      action,
      agentId: id,
      from,
      to: after.status.state,
      ...detail,
    });
    return after;
  };

  app.post('/agents/:id/login', async (req) => {
    const id = agentId(req.params);
    const { endpoint: asked } = parse(loginSchema, req.body, 'body');
    const endpoint = phoneFor(id, asked);
    // Logged in, not yet taking calls: the agent says ready when they are.
    return show(
      await change(req, id, 'agent-login', () => store.login(id, endpoint, LOGIN_REASON), { endpoint }),
    );
  });

  app.post('/agents/:id/ready', async (req) => {
    const id = agentId(req.params);
    return show(await change(req, id, 'agent-ready', () => store.ready(id)));
  });

  app.post('/agents/:id/not-ready', async (req) => {
    const id = agentId(req.params);
    const reason = checkReason(parse(notReadySchema, req.body, 'body').reason);
    return show(await change(req, id, 'agent-not-ready', () => store.notReady(id, reason), { reason }));
  });

  app.post('/agents/:id/logout', async (req) => {
    const id = agentId(req.params);
    return show(await change(req, id, 'agent-logout', () => store.logout(id)));
  });

  app.post('/agents/:id/wrap-up/end', async (req) => {
    const id = agentId(req.params);
    return show(await change(req, id, 'agent-end-wrap-up', () => store.endWrapUp(id)));
  });

  app.get('/not-ready-reasons', async () => ({ reasons: notReadyReasons() }));

  app.get('/agents/:id', async (req) => {
    const id = agentId(req.params);
    const agent = await store.getAgent(id);
    if (!agent) throw new NoSuchAgentError(id);
    return show(agent);
  });

  app.get('/agents', async () => {
    const agents = (await store.listAgents()).filter((a) => known(a.id));
    agents.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { agents: agents.map(show) };
  });

  app.get('/queues', async () => {
    const [policies, snapshot] = await Promise.all([store.queues(), store.snapshot()]);
    const now = clock.now();
    const agents = snapshot.agents.filter((a) => known(a.id));
    return { queues: queueFigures(policies, agents, snapshot.calls, now) };
  });
};
