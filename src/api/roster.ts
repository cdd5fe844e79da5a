import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { NoSuchAgentError } from '../acd/errors.ts';
import type { AcdStore } from '../acd/store/port.ts';
import type { RosterAdmin } from '../admin/roster-admin.ts';
import {
  type AdminAgent,
  AgentParams,
  ChangeAgentBody,
  NewAgentBody,
  RosterEditError,
} from '../admin/roster-edits.ts';
import type { Principal } from '../admin/tokens.ts';
import { HotlineError } from '../errors.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { InvalidRequestError, invalidRequest, useErrorCatalogue } from './errors.ts';

/**
 * The roster administration API (admin changes, supervisor reads): the agents with their phones,
 * skills, pools and expert seats, added, changed, disabled and enabled without editing YAML.
 * Every change is checked against the live plan, kept, applied at once and audited (RosterAdmin).
 *   app.register(rosterApi, { roster, store, plan })
 */
export interface RosterApiOptions {
  roster: RosterAdmin;
  /** The ACD store, for each agent's live state. */
  store: AcdStore;
  plan: () => RoutingPlan;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, part: string): T {
  const out = schema.safeParse(value);
  if (!out.success) throw invalidRequest(part, out.error);
  return out.data;
}

/** A refused edit as the error catalogue says: the field named under `body`. */
function asApiError(err: unknown): unknown {
  if (!(err instanceof RosterEditError)) return err;
  if (err.code === 'no-such-agent') return new HotlineError('no-such-agent', err.message);
  if (err.code === 'agent-exists') return new HotlineError('agent-exists', `body.id: ${err.message}`);
  const field = `body.${err.field ?? ''}`.replace(/\.$/, '');
  return new InvalidRequestError(`body.${err.message}`, field);
}

export const rosterApi: FastifyPluginAsync<RosterApiOptions> = async (app, { roster, store, plan }) => {
  useErrorCatalogue(app);

  const who = (req: FastifyRequest): Principal => req.principal ?? { tokenId: 'anonymous', role: 'admin' };
  const run = async (fn: () => Promise<AdminAgent>) => {
    try {
      return await view(await fn());
    } catch (err) {
      throw asApiError(err);
    }
  };
  const view = async (agent: AdminAgent) => ({
    ...agent,
    state: (await store.getAgent(agent.id))?.status.state ?? 'logged-out',
  });
  const known = (params: unknown): string => {
    const { id } = parse(AgentParams, params, 'params');
    if (!roster.agent(id)) throw new NoSuchAgentError(id);
    return id;
  };

  app.get('/roster/agents', async () => {
    const states = new Map((await store.listAgents()).map((a) => [a.id, a.status.state]));
    const p = plan();
    return {
      agents: roster.agents.map((a) => ({ ...a, state: states.get(a.id) ?? 'logged-out' })),
      pools: [...p.pools.values()].map((q) => ({ id: q.id, name: q.name })),
      expertSeats: [...p.experts.values()].map((q) => ({ id: q.id, name: q.name })),
    };
  });

  app.get('/roster/agents/:id', async (req) => view(roster.agent(known(req.params))!));

  app.post('/roster/agents', async (req, reply) => {
    const body = parse(NewAgentBody, req.body, 'body');
    const added = await run(() => roster.add(who(req), body));
    return reply.code(201).send(added);
  });

  app.put('/roster/agents/:id', async (req) => {
    const id = known(req.params);
    const body = parse(ChangeAgentBody, req.body, 'body');
    return run(() => roster.change(who(req), id, body));
  });

  app.post('/roster/agents/:id/disable', async (req) => {
    const id = known(req.params);
    return run(() => roster.disable(who(req), id));
  });

  app.post('/roster/agents/:id/enable', async (req) => {
    const id = known(req.params);
    return run(() => roster.enable(who(req), id));
  });
};
