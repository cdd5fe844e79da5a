import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditLog } from '../admin/ledgers.ts';
import { monitorModes } from '../calls/core/monitor.ts';
import type { EngineGroup } from '../calls/runtime/engine-group.ts';
import { Monitors, type Who } from '../calls/runtime/monitors.ts';
import type { Clock } from '../clock.ts';
import { HotlineError } from '../errors.ts';
import type { HeldHotline } from '../hotline.ts';
import { apiErrors, InvalidRequestError, invalidRequest } from './errors.ts';

export interface MonitorApiOptions {
  /**
   * The engines whose calls may be monitored: this process's own, and with ENGINE_TAKEOVER those
   * it took over (calls/runtime/engine-group.ts); each call on the telephony of its engine.
   */
  engines: EngineGroup<HeldHotline>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}

const Params = z.object({ id: z.string().min(1).max(128) });
/** The supervisor's own phone: a SIP endpoint of this PBX, never a trunk (`PJSIP/x@trunk`) or a `Local/` channel. */
const Endpoint = z
  .string()
  .regex(/^PJSIP\/[A-Za-z0-9_.-]{1,64}$/, "a phone of this PBX, like 'PJSIP/sup9001'");
const StartBody = z.strictObject({ mode: z.enum(monitorModes), endpoint: Endpoint.optional() });
const SwitchBody = z.strictObject({ mode: z.enum(monitorModes) });

function parse<T>(schema: z.ZodType<T>, part: string, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidRequest(part, r.error);
  return r.data;
}

/**
 * The phone to call: the token's own (tokens file `endpoint`), which the request may repeat but
 * not change, else the one the request gives.
 */
function phoneOf(req: FastifyRequest, asked: string | undefined): string {
  const own = req.principal?.endpoint;
  if (own !== undefined && asked !== undefined && asked !== own)
    throw new HotlineError(
      apiErrors.endpointNotAssigned.code,
      `body.endpoint: this token monitors from its own phone '${own}' only`,
    );
  const phone = own ?? asked;
  if (phone === undefined)
    throw new InvalidRequestError(
      "body.endpoint: the supervisor's phone is required (the token names none)",
      'body.endpoint',
    );
  return phone;
}

const whoOf = (req: FastifyRequest): Who => ({
  tokenId: req.principal?.tokenId ?? 'unknown',
  role: req.principal?.role ?? 'unknown',
});

/**
 * Supervisor listen / whisper / barge (监听 / 耳语 / 强插) on a live talking call, supervisors and
 * administrators only: `POST /calls/:id/monitor {mode, endpoint?}` calls the supervisor's phone
 * (the token's own `endpoint` from the tokens file, else the one given) and
 * puts it in the mode, `PATCH` changes the mode, `DELETE` ends it, `GET` shows it. Every start,
 * change and end (the supervisor hanging up, the call ending) is written to the audit log.
 * Every engine this process holds has its sessions, on its own telephony (the supervisor's leg
 * and the snoops in its apps); a request goes to the sessions of the engine holding the call. An
 * engine handed back ends its sessions (`handed-back`), the calls going on.
 */
export const monitorApi: FastifyPluginAsync<MonitorApiOptions> = async (app, o) => {
  const byEngine = new Map<HeldHotline, Monitors>();
  let closing = false;
  const stop = o.engines.each((held) => {
    const monitors = new Monitors({
      engine: held.engine,
      telephony: held.telephony,
      audit: (record) => o.audit.append(record),
      clock: o.clock,
      logger: o.logger.child({ component: 'monitor' }),
    });
    byEngine.set(held, monitors);
    return () => {
      byEngine.delete(held);
      // The API closing (the process stopping) leaves the sessions as they are, as it always has.
      if (!closing) monitors.endAll('handed-back');
    };
  });
  app.addHook('onClose', async () => {
    closing = true;
    stop();
  });
  /** The sessions of the engine holding the call (a call none holds: the own engine's, which refuse it). */
  const of = (callId: string): Monitors =>
    byEngine.get(o.engines.holding(callId) ?? o.engines.own) ?? byEngine.get(o.engines.own)!;
  app.get('/calls/:id/monitor', async (req) => {
    const { id } = parse(Params, 'params', req.params);
    const session = of(id).ofCall(id);
    if (!session) throw new HotlineError('no-such-monitor', `call "${id}" is not monitored`);
    return session;
  });
  app.post('/calls/:id/monitor', async (req, reply) => {
    const { id } = parse(Params, 'params', req.params);
    const { mode, endpoint } = parse(StartBody, 'body', req.body);
    return reply.code(201).send(of(id).start(whoOf(req), id, mode, phoneOf(req, endpoint)));
  });
  app.patch('/calls/:id/monitor', async (req) => {
    const { id } = parse(Params, 'params', req.params);
    const { mode } = parse(SwitchBody, 'body', req.body);
    return of(id).switch(whoOf(req), id, mode);
  });
  app.delete('/calls/:id/monitor', async (req) => {
    const { id } = parse(Params, 'params', req.params);
    return of(id).stop(whoOf(req), id);
  });
};
