import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { AttemptClaims } from '../attempt-claims.ts';
import { TelephonyError, type TelephonyEvent } from '../port.ts';

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
  /** Answered and handed to the engine as its call. */
  served: number;
  /** Of those, the ones that first waited on another channel's claim. */
  waited: number;
  /** Hung up unanswered: another node's channel of the call had answered. */
  refused: number;
  /** Ended before they answered (the edge cancelled them): never the engine's. */
  goneUnanswered: number;
  /** Served after waiting CLAIM_WAIT_MS on a claim that never answered. */
  takenOver: number;
  /** Served without a claim: the claims could not be read. */
  unchecked: number;
}

export interface AttemptGateOptions {
  claims: AttemptClaims;
  /** Answers the channel (ARI); rejects when it cannot (the channel is gone). */
  answer(channelId: string): Promise<void>;
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
 * channel that entered with the carrier's SIP Call-ID is held until it holds the call's claim and
 * has answered; its events wait behind it. Refused (another channel answered the call), or gone
 * before it could answer (the edge cancelled it), it never reaches the engine: no call, no record,
 * no agent offered it. When the claims cannot be read (Redis away), the channel is served as
 * without them: a call is never dropped for a missing claim.
 */
export class AttemptGate {
  private readonly held = new Map<string, Held>();
  /** Channels refused or gone while held: their later events are not the engine's. */
  private readonly dropped = new Set<string>();
  private readonly droppedOrder: string[] = [];
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
   * not to be given it now.
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
    return this.dropped.has(event.channelId);
  }

  /** Channels held now (waiting on a claim or on their answer). */
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
    if (waited) this.counts.waited++;
    if (held.ended) return this.drop(channelId, sipCallId);
    try {
      await this.o.answer(channelId);
    } catch (err) {
      // Gone (404) or out of the app (409): cancelled, by the edge or the caller, before it could
      // answer: never the engine's call. Any other failure: the engine has it, answers it again
      // and ends it with a record if it cannot.
      if (held.ended || (err instanceof TelephonyError && (err.status === 404 || err.status === 409)))
        return this.drop(channelId, sipCallId);
      this.o.logger.warn(
        { channelId, err: (err as Error).message },
        "could not answer a carrier call's channel: handing it to the engine",
      );
      return this.pass(event);
    }
    // The claim is marked answered beside the engine's start, not before it (a channel waiting on
    // it only waits one more poll).
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
    this.counts.served++;
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

  /** Gone before it answered: its claim is let go (another channel of the call may take it). */
  private drop(channelId: string, sipCallId: string): void {
    this.counts.goneUnanswered++;
    this.o.logger.info(
      { channelId },
      "a node's channel of a carrier call ended before it answered (cancelled): not a call of the engine",
    );
    void this.o.claims.release(sipCallId, channelId).catch(() => undefined);
    this.forget(channelId);
  }

  private forget(channelId: string): void {
    this.held.delete(channelId);
    this.dropped.add(channelId);
    this.droppedOrder.push(channelId);
    if (this.droppedOrder.length > 10_000) this.dropped.delete(this.droppedOrder.shift()!);
  }
}
