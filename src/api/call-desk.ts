import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { callDetail } from '../admin/call-view.ts';
import type { CallRequest } from '../calls/runtime/engine.ts';
import type { CallsView } from '../calls/runtime/engine-group.ts';
import { HotlineError } from '../errors.ts';
import { invalidRequest, useErrorCatalogue } from './errors.ts';

export interface CallDeskApiOptions {
  engine: CallsView;
}

const CallParams = z.object({ id: z.string().min(1).max(128) });
/** A mute is of the agent's own microphone: `in`, what the agent's phone sends (the only one offered). */
const MuteBody = z.object({ direction: z.literal('in').default('in') }).strict();

function parse<T>(schema: z.ZodType<T>, part: string, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidRequest(part, r.error);
  return r.data;
}

/**
 * The agent's hold and mute on its own talking call (保持/恢复, 静音/取消静音):
 *   POST /calls/:id/hold    the citizen hears music on hold   DELETE: taken back
 *   POST /calls/:id/mute    the agent's microphone is muted   DELETE: unmuted
 * Each answers the call as the toolbar shows it (hold state and figures, mute). Only the agent
 * talking on the call may (the own-call policy: another agent's call is 403, a call not live 404);
 * a call not talking with its agent is 409 not-talking; hold while a transfer is under way is 409
 * transfer-in-progress (mute is not). Asking for the state the call is already in changes nothing.
 */
export const callDeskApi: FastifyPluginAsync<CallDeskApiOptions> = async (app, { engine }) => {
  useErrorCatalogue(app);

  const apply = (id: string, r: CallRequest) => {
    const result = engine.request(id, r);
    if (!result.ok) throw new HotlineError(result.code, result.message);
    const call = engine.call(id);
    if (!call) throw new HotlineError('no-such-call', `no live call "${id}"`);
    const { hold, muted } = callDetail(call);
    return { callId: id, hold, muted };
  };

  app.post('/calls/:id/hold', async (req) => {
    const { id } = parse(CallParams, 'params', req.params);
    return apply(id, { kind: 'hold' });
  });

  app.delete('/calls/:id/hold', async (req) => {
    const { id } = parse(CallParams, 'params', req.params);
    return apply(id, { kind: 'unhold' });
  });

  app.post('/calls/:id/mute', async (req) => {
    const { id } = parse(CallParams, 'params', req.params);
    parse(MuteBody, 'body', req.body);
    return apply(id, { kind: 'mute', on: true });
  });

  app.delete('/calls/:id/mute', async (req) => {
    const { id } = parse(CallParams, 'params', req.params);
    return apply(id, { kind: 'mute', on: false });
  });
};
