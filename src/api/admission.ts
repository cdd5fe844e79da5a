import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../admin/ledgers.ts';
import type { Clock } from '../clock.ts';
import { HotlineError } from '../errors.ts';
import type { Hotline } from '../hotline.ts';
import { apiErrors, invalidRequest } from './errors.ts';

export interface AdmissionApiOptions {
  hotline: Hotline;
  clock: Clock;
  audit: AuditLog;
}

/**
 * `force`: hold the state (`shedding`/`critical`: every new call goes to the safety net with reason
 * `forced`; `normal`: every call is taken whatever the measurements say) or give it back to them
 * (`auto`).
 */
const ForceBody = z.strictObject({ force: z.enum(['normal', 'shedding', 'critical', 'auto']) });

/** Admission control is not running in this engine (ADMISSION=off). */
export class AdmissionOffError extends HotlineError {
  constructor() {
    super(
      apiErrors.admissionOff.code,
      'admission control is off in this engine (ADMISSION=off): there is no state to hold',
    );
  }
}

/**
 * Admission control for people: `GET /admission` (state, reason, the operator's hold, the last
 * measurements, calls shed by reason) and `PUT /admission` — an administrator diverts every new
 * call to the safety net on purpose (a flood, a broken engine host being drained) or holds the
 * engine open, and releases the hold; each change is written to the audit log. The dialplan's gate
 * follows at once (src/admission/gate.ts).
 */
export const admissionApi: FastifyPluginAsync<AdmissionApiOptions> = async (app, o) => {
  const view = () => {
    const m = o.hotline.engine.admission;
    if (!m) return { state: 'off' as const };
    return {
      state: m.state,
      reason: m.state === 'normal' ? undefined : m.admission.reason,
      held: m.held ?? null,
      share: m.admission.share,
      signals: m.last,
      shed: Object.fromEntries(m.shed),
    };
  };
  app.get('/admission', async () => view());
  app.put('/admission', async (req) => {
    const parsed = ForceBody.safeParse(req.body);
    if (!parsed.success) throw invalidRequest('body', parsed.error);
    const m = o.hotline.engine.admission;
    if (!m) throw new AdmissionOffError();
    const from = m.state;
    const held = parsed.data.force === 'auto' ? undefined : parsed.data.force;
    await m.force(held);
    const who = req.principal;
    if (who)
      await o.audit.append({
        at: new Date(o.clock.now()).toISOString(),
        tokenId: who.tokenId,
        role: who.role,
        action: held === undefined ? 'admission-release' : 'admission-hold',
        from,
        to: m.state,
        ...(held ? { held } : {}),
      });
    return view();
  });
};
