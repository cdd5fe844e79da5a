import type { Logger } from 'pino';
import { gateVariable } from '../../admission/gate.ts';
import type { AriRestClient } from './rest-client.ts';

/**
 * The dialplan's admission gate as this engine holds it on one Asterisk: one global variable per
 * Stasis app (see src/admission/gate.ts), set to the shed reason while the engine sheds and to ''
 * while it takes calls. The wanted value is kept here and written again whenever the ARI
 * connection (re)opens — a restarted Asterisk has lost its globals, and a restarted engine must
 * open a gate an earlier run left closed. Writes are sent one at a time, each with the value
 * wanted when it leaves, so two quick changes never land in the wrong order.
 */
export class AriAdmissionGate {
  private wanted = '';
  private written: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Written only once the ARI connection has opened (a write before it would only fail). */
  private live = false;

  constructor(
    private readonly rest: Pick<AriRestClient, 'call'>,
    private readonly apps: readonly string[],
    private readonly logger: Logger,
  ) {}

  /** The value the gate should have: a shed reason, or '' to let calls in. */
  get value(): string {
    return this.wanted;
  }

  /** Wants the gate at `reason` ('' opens it); resolves once Asterisk has it (or the write failed). */
  set(reason: string): Promise<void> {
    this.wanted = reason;
    return this.live ? this.flush(false) : this.chain;
  }

  /** Writes the wanted value again: the ARI connection (re)opened. */
  reassert(): Promise<void> {
    this.live = true;
    return this.flush(true);
  }

  private flush(always: boolean): Promise<void> {
    this.chain = this.chain.then(async () => {
      const value = this.wanted;
      if (!always && value === this.written) return;
      try {
        await Promise.all(
          this.apps.map((app) =>
            this.rest.call(
              'setGlobalVar',
              'POST',
              '/asterisk/variable',
              { variable: gateVariable(app), value },
              undefined,
              // Ahead of every other request: each moment the gate is late, calls the engine
              // will shed reach it anyway.
              { urgent: true, front: true },
            ),
          ),
        );
        this.written = value;
        this.logger.info(
          { gate: value === '' ? 'open' : 'closed', reason: value || undefined, apps: this.apps },
          value === ''
            ? 'dialplan gate open: new calls enter the engine'
            : 'dialplan gate closed: new calls go to the safety net',
        );
      } catch (err) {
        this.written = undefined;
        this.logger.warn({ err: (err as Error).message, wanted: value }, 'dialplan gate not written');
      }
    });
    return this.chain;
  }
}
