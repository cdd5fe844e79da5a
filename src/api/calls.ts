import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AgentEvent, CallRequest } from '../calls/runtime/engine.ts';
import type { CallsView } from '../calls/runtime/engine-group.ts';
import { HotlineError } from '../errors.ts';
import type { EventStreamLimits } from './connection-limits.ts';
import { invalidRequest } from './errors.ts';

export interface CallsApiOptions {
  engine: CallsView;
  /** Caps on the open event streams per token and per address. */
  streams: EventStreamLimits;
  /** A keep-alive comment on each event stream this often (well within the idle-socket timeout). */
  keepAliveMs: number;
}

const CallParams = z.object({ id: z.string().min(1).max(128) });
const TransferParams = CallParams.extend({ tid: z.string().min(1).max(160) });
const AgentParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -') });
const TargetRef = z
  .string()
  .regex(
    /^(subcenter|expert|emergency|center|directory):[a-z0-9][a-z0-9-]*$/,
    'e.g. "subcenter:tax" or "expert:legal"',
  );
const TransferBody = z
  .object({ target: TargetRef, mode: z.enum(['three-way', 'consult', 'blind']) })
  .strict();
const TicketBody = z.object({ target: TargetRef, reason: z.string().min(1).max(500) }).strict();

function parse<T>(schema: z.ZodType<T>, part: string, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidRequest(part, r.error);
  return r.data;
}

/**
 * Live calls for agent desktops: transfers (three-way, consult, blind; to sub-centers, expert
 * seats, emergency lines, other centers, directory numbers), the agent leaving a three-way call,
 * tickets dispatched to a sub-center, and each agent's event stream (server-sent events).
 */
export const callsApi: FastifyPluginAsync<CallsApiOptions> = async (
  app,
  { engine, streams, keepAliveMs },
) => {
  const apply = (id: string, r: CallRequest) => {
    const result = engine.request(id, r);
    if (!result.ok) throw new HotlineError(result.code, result.message);
    return result;
  };

  app.post('/calls/:id/transfers', async (request, reply) => {
    const { id } = parse(CallParams, 'params', request.params);
    const body = parse(TransferBody, 'body', request.body);
    const result = apply(id, { kind: 'transfer', target: body.target, mode: body.mode });
    return reply.code(202).send({ transferId: result.transferId, mode: body.mode, target: body.target });
  });

  app.post('/calls/:id/transfers/:tid/complete', async (request) => {
    const { id, tid } = parse(TransferParams, 'params', request.params);
    const live = engine.call(id)?.transfer;
    if (live && live.id !== tid)
      throw new HotlineError('no-transfer', `transfer ${tid} is not the one under way`);
    return apply(id, { kind: 'transfer-complete' });
  });

  app.post('/calls/:id/transfers/:tid/cancel', async (request) => {
    const { id, tid } = parse(TransferParams, 'params', request.params);
    const live = engine.call(id)?.transfer;
    if (live && live.id !== tid)
      throw new HotlineError('no-transfer', `transfer ${tid} is not the one under way`);
    return apply(id, { kind: 'transfer-cancel' });
  });

  app.delete('/calls/:id/agent', async (request) => {
    const { id } = parse(CallParams, 'params', request.params);
    return apply(id, { kind: 'agent-leave' });
  });

  app.post('/calls/:id/tickets', async (request, reply) => {
    const { id } = parse(CallParams, 'params', request.params);
    const body = parse(TicketBody, 'body', request.body);
    const result = apply(id, { kind: 'ticket', target: body.target, reason: body.reason });
    return reply.code(201).send({ ticketId: result.transferId, target: body.target });
  });

  app.get('/agents/:id/events', (request, reply) => {
    const { id } = parse(AgentParams, 'params', request.params);
    // The slot is taken before the response is taken over, so a stream over a cap is a plain 429.
    const release = streams.open(request.principal?.tokenId ?? 'none', request.ip);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    const send = (e: AgentEvent) => {
      if (e.agentId === id) res.write(`event: ${e.event}\ndata: ${JSON.stringify(e)}\n\n`);
    };
    const stop = engine.onAgentEvent(send);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
    request.raw.on('close', () => {
      clearInterval(keepAlive);
      stop();
      release();
    });
  });
};
