import type { Logger } from 'pino';
import { type DialplanTarget, TelephonyError, type TelephonyPort } from '../../../telephony/port.ts';
import type { EngineStats } from '../stats.ts';

/** A shed call's channel and where it goes. */
export interface HandOver {
  callId: string;
  channelId: string;
  to: DialplanTarget;
}

const gone = (err: unknown) => err instanceof TelephonyError && err.status === 404;

/**
 * Hands a shed call's channel to the dialplan at `to` (ARI `continue`). A
 * channel already gone is nothing to do; another failure is tried once more, then the channel is
 * hung up (busy) rather than left in the app with nobody serving it. Never rejects.
 */
export async function handOver(
  o: { telephony: TelephonyPort; logger: Logger; stats: EngineStats },
  h: HandOver,
): Promise<void> {
  const t = o.telephony;
  if (!t.continueInDialplan) throw new Error('the telephony port cannot continue a channel in the dialplan');
  const send = () => t.continueInDialplan!(h.channelId, h.to);
  try {
    await send().catch((err) => {
      if (gone(err)) return;
      o.logger.warn(
        { callId: h.callId, err: (err as Error).message },
        'a shed call was not taken back into the dialplan: trying once more',
      );
      return send();
    });
  } catch (err) {
    if (gone(err)) return;
    o.stats.handOverFailures++;
    o.logger.error(
      { callId: h.callId, err: (err as Error).message },
      'a shed call could not be handed to the safety net: hanging it up (busy)',
    );
    await t.hangup(h.channelId, 'busy').catch(() => undefined);
  }
}
