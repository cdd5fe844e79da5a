import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { AttemptClaims } from '../attempt-claims.ts';
import type { TelephonyEvent } from '../port.ts';
import { RecentIds } from './recent-ids.ts';

/** How often a channel waiting on another channel's claim asks again. */
export const CLAIM_POLL_MS = 50;
/**
 * How long a channel waits on another's unanswered claim before taking it over: that channel
 * answers or is cancelled within milliseconds, unless its engine is gone.
 */
export const CLAIM_WAIT_MS = 3_000;

type Entered = Extract<TelephonyEvent, { kind: 'channel-entered' }>;

interface Held {
  sipCallId: string;
  /** Events of the channel that came while it waited, in order. */
  queued: TelephonyEvent[];
  ended: boolean;
}

/** What the gate decided on the channels of carrier calls, since the start. */
export interface AttemptCounts {
  /** Handed to the engine as its call. */
  served: number;
  /** Of those, the ones that first waited on another channel's claim. */
  waited: number;
  /** Hung up unanswered: another node's channel of the call had answered. */
  refused: number;
  /** Ended while they waited for the claim (the edge cancelled them): never the engine's. */
  goneUnanswered: number;
  /** Served after waiting CLAIM_WAIT_MS on a claim that never answered. */
  takenOver: number;
  /** Served without a claim: the claims could not be read. */
  unchecked: number;
}

export interface AttemptGateOptions {
  claims: AttemptClaims;
  /** Hangs up a channel that is refused (ARI). */
  hangup(channelId: string): Promise<void>;
  /** Hands an event to the engine. */
  deliver(event: TelephonyEvent): void;
  clock: Clock;
  logger: Logger;
  pollMs?: number;
  waitMs?: number;
}

/**
 * Lets only one node's channel of a carrier call reach the engine (see attempt-claims.ts). A
 * channel that entered with the carrier's SIP Call-ID is held until it holds the call's claim (its
 * events wait behind it), then handed to the engine, which answers it at once: that answer
 * (`answered`) marks the claim, and an end before it lets the claim go to another channel of the
 * call. Refused (another channel answered the call), or gone while it waited, it never reaches
 * the engine: no call, no record, no agent offered it. When the claims cannot be read (Redis
 * away), the channel is served as without them: a call is never dropped for a missing claim.
 *
 * The engine is not made to wait for the answer (it rings an agent while the caller's channel is
 * being answered): a channel that claims a call first and is then cancelled before its engine
 * answers it (the edge gave up on its node a moment before) ends as a call of that engine, with a
 * record of a caller gone at once, while the other node's channel, waiting, serves the call.
 */
export class AttemptGate {
  private readonly held = new Map<string, Held>();
  /** Channels served whose engine has not answered them yet → their call's SIP Call-ID. */
  private readonly unanswered = new Map<string, string>();
  /** Channels refused or gone while held: their later events are not the engine's. */
  private readonly dropped = new RecentIds(10_000);
  readonly counts: AttemptCounts = {
    served: 0,
    waited: 0,
    refused: 0,
    goneUnanswered: 0,
    takenOver: 0,
    unchecked: 0,
  };

  constructor(private readonly o: AttemptGateOptions) {}

  /** Takes a channel that entered with the carrier's SIP Call-ID: it reaches the engine once served. */
  enter(event: Entered, sipCallId: string): void {
    this.held.set(event.channelId, { sipCallId, queued: [], ended: false });
    void this.settle(event, sipCallId);
  }

  /**
   * Whether the gate takes this event (of a channel held, or dropped): true means the engine is
   * not to be given it now. The end of a served channel its engine never answered lets its
   * claim go.
   */
  intercept(event: TelephonyEvent): boolean {
    if (event.kind !== 'channel-ended' && event.kind !== 'dtmf' && event.kind !== 'channel-entered')
      return false;
    const held = this.held.get(event.channelId);
    if (held) {
      held.queued.push(event);
      if (event.kind === 'channel-ended') held.ended = true;
      return true;
    }
    if (event.kind === 'channel-ended') {
      const sipCallId = this.unanswered.get(event.channelId);
      if (sipCallId !== undefined) {
        this.unanswered.delete(event.channelId);
        void this.o.claims.release(sipCallId, event.channelId).catch(() => undefined);
      }
    }
    return this.dropped.has(event.channelId);
  }

  /** The engine answered a channel: its claim is marked, so later channels of the call are refused. */
  answered(channelId: string): void {
    const sipCallId = this.unanswered.get(channelId);
    if (sipCallId === undefined) return;
    this.unanswered.delete(channelId);
    void this.o.claims.answered(sipCallId, channelId).then(
      (stillOurs) => {
        if (!stillOurs)
          this.o.logger.warn(
            { channelId },
            'a channel answered after another took its claim over: both are served',
          );
      },
      () => undefined,
    );
  }

  /**
   * Whether the gate keeps this channel from the engine for now: held on its claim (it reaches
   * the engine once served), or refused or gone while held. A listing after an outage leaves
   * such a channel out: it is not a call the engine missed.
   */
  withholds(channelId: string): boolean {
    return this.held.has(channelId) || this.dropped.has(channelId);
  }

  /** Channels held now (waiting on a claim). */
  get holding(): number {
    return this.held.size;
  }

  private async settle(event: Entered, sipCallId: string): Promise<void> {
    const { channelId } = event;
    const held = this.held.get(channelId)!;
    const started = this.o.clock.elapsedMs();
    const waitMs = this.o.waitMs ?? CLAIM_WAIT_MS;
    let waited = false;
    try {
      for (;;) {
        if (held.ended) return this.drop(channelId, sipCallId);
        const force = this.o.clock.elapsedMs() - started >= waitMs;
        const verdict = await this.o.claims.claim(sipCallId, channelId, force);
        if (verdict === 'serve') {
          if (force) this.counts.takenOver++;
          break;
        }
        if (verdict === 'refuse') return this.refuse(channelId);
        waited = true;
        await new Promise<void>((resolve) => this.o.clock.after(this.o.pollMs ?? CLAIM_POLL_MS, resolve));
      }
    } catch (err) {
      this.counts.unchecked++;
      this.o.logger.warn(
        { channelId, err: (err as Error).message },
        'could not read the claim on a carrier call: serving its channel without it',
      );
      return this.pass(event);
    }
    // ended during its claim's round trip: never answered, never the engine's
    if (held.ended) return this.drop(channelId, sipCallId);
    if (waited) this.counts.waited++;
    this.counts.served++;
    this.unanswered.set(channelId, sipCallId);
    this.pass(event);
  }

  /** The channel goes to the engine, then what it did while held. */
  private pass(event: Entered): void {
    const held = this.held.get(event.channelId);
    this.held.delete(event.channelId);
    this.o.deliver(event);
    for (const e of held?.queued ?? []) this.o.deliver(e);
  }

  private async refuse(channelId: string): Promise<void> {
    this.counts.refused++;
    this.o.logger.info(
      { channelId },
      "refused a node's channel of a carrier call another node answered (the edge had moved the call on)",
    );
    const ended = this.held.get(channelId)?.ended;
    this.forget(channelId);
    if (!ended) await this.o.hangup(channelId).catch(() => undefined);
  }

  /** Gone while it waited: its claim, if it held it, is let go (another channel may take it). */
  private drop(channelId: string, sipCallId: string): void {
    this.counts.goneUnanswered++;
    this.o.logger.info(
      { channelId },
      "a node's channel of a carrier call ended before it was served (cancelled): not a call of the engine",
    );
    void this.o.claims.release(sipCallId, channelId).catch(() => undefined);
    this.forget(channelId);
  }

  private forget(channelId: string): void {
    this.held.delete(channelId);
    this.dropped.add(channelId);
  }
}
