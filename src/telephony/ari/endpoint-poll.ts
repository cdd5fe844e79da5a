import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.ts';
import type { PresenceChange, PresencePort } from '../port.ts';

export interface EndpointPollOptions {
  /** Reads every endpoint's state (one ARI request: `GET /endpoints/PJSIP`). */
  list: () => Promise<PresenceChange[]>;
  everyMs: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Softphone registration without AMI: one request for all endpoints' states every `everyMs`
 * (10 s by default), reporting only the endpoints whose state changed. It costs one REST request
 * and one pass over the list per period, whatever the call rate, and no events on the apps'
 * event threads.
 */
export class EndpointPoll implements PresencePort {
  private readonly known = new Map<string, boolean>();
  private timer?: TimerHandle;
  private stopped = false;
  private failing = false;
  polls = 0;

  constructor(private readonly o: EndpointPollOptions) {}

  async start(listener: (changes: PresenceChange[], full: boolean) => void): Promise<void> {
    await this.poll(listener, true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
  }

  private async poll(
    listener: (changes: PresenceChange[], full: boolean) => void,
    full: boolean,
  ): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.o.list();
      this.polls++;
      if (this.failing) this.o.logger.info('endpoint states readable again');
      this.failing = false;
      const changes = full ? list : list.filter((c) => this.known.get(c.endpoint) !== c.online);
      for (const c of list) this.known.set(c.endpoint, c.online);
      if (changes.length > 0 && !this.stopped) listener(changes, full);
      full = false;
    } catch (err) {
      if (!this.failing) this.o.logger.warn({ err: (err as Error).message }, 'endpoint states not readable');
      this.failing = true;
    }
    if (this.stopped) return;
    this.timer = this.o.clock.after(this.o.everyMs, () => void this.poll(listener, full));
  }
}
