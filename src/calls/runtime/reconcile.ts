import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.ts';
import { listingCovers, type PbxListing, type TelephonyPort } from '../../telephony/port.ts';
import type { CallEvent } from '../core/types.ts';
import { legsOf, type Registry } from './registry.ts';
import { type EngineStats, noFindings, type ReconcileFindings } from './stats.ts';

export interface ReconcilerOptions {
  registry: Registry;
  telephony: TelephonyPort;
  clock: Clock;
  logger: Logger;
  stats: EngineStats;
  deliver: (callId: string, event: CallEvent) => void;
  /** Whether an event outage is under way (the resync after it does this work). */
  outage: () => boolean;
  /** How often to run (0: never; default 30 s). */
  everyMs?: number | undefined;
  /** Resources younger than this are left out (their events may be on the way; default 10 s). */
  graceMs?: number | undefined;
}

/**
 * Compares what the engine owns with what the PBX holds (one listing of channels and bridges)
 * and ends the difference: legs the engine originated and bridges it created whose call is gone
 * are hung up / destroyed; live calls' channels the PBX no longer has are reported gone to their
 * calls (a call left with nothing ends with its record). A difference is acted on only when two
 * reconciliations in a row find it, with no command on its way for it and the resource older
 * than the grace: events and requests in flight settle in between, so nothing is judged on a
 * moment's race. Skipped during an event outage (the resync after it does this).
 */
export class Reconciler {
  private timer?: TimerHandle;
  private stopped = false;
  /** Whether a reconciliation is running now. */
  running = false;
  /** What the last reconciliation suspected; acted on only when the next one finds it again. */
  private suspects = new Set<string>();

  constructor(private readonly o: ReconcilerOptions) {}

  /** Runs every `everyMs` until stopped. */
  schedule(): void {
    const every = this.o.everyMs ?? 30_000;
    if (every <= 0 || this.stopped) return;
    this.timer = this.o.clock.after(every, () => {
      void this.run()
        .catch((err) =>
          this.o.logger.warn({ err: (err as Error).message }, 'reconciliation with the PBX failed'),
        )
        .finally(() => this.schedule());
    });
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  async run(): Promise<ReconcileFindings> {
    const found = noFindings();
    if (this.o.outage() || this.running || this.stopped) return found;
    this.running = true;
    try {
      const old = this.o.clock.now() - (this.o.graceMs ?? 10_000);
      const listing: PbxListing = await this.o.telephony.listAll();
      if (this.o.outage()) return found;
      const channels = new Set(listing.channels.map((c) => c.id));
      const bridges = new Set(listing.bridges.map((b) => b.id));
      const previous = this.suspects;
      const now = new Set<string>();
      /** True when `key` was suspected last time too (and is remembered for next time). */
      const confirmed = (key: string) => {
        now.add(key);
        return previous.has(key);
      };
      // With several nodes, an unreachable node is not listed: nothing on it is judged here (its
      // calls end when it is declared lost, or are checked once it is back).
      const covered = (id: string) => listingCovers(listing, this.o.telephony, id);
      await this.orphans(old, channels, bridges, confirmed, found, covered);
      this.lost(old, channels, confirmed, found, covered);
      this.suspects = now;
      const total = this.o.stats.reconcile;
      total.runs++;
      total.orphanChannels += found.orphanChannels;
      total.orphanBridges += found.orphanBridges;
      total.lostChannels += found.lostChannels;
      total.endedCalls += found.endedCalls;
      return found;
    } finally {
      this.running = false;
    }
  }

  /** Legs the engine originated and bridges it created whose call no longer has them. */
  private async orphans(
    old: number,
    channels: Set<string>,
    bridges: Set<string>,
    confirmed: (key: string) => boolean,
    found: ReconcileFindings,
    covered: (id: string) => boolean,
  ): Promise<void> {
    const { registry, telephony, logger } = this.o;
    for (const [id, r] of registry.madeAll()) {
      if (r.at > old || registry.isSending(id) || !covered(r.callId)) continue;
      const present = r.kind === 'channel' ? channels.has(id) : bridges.has(id);
      const s = registry.get(r.callId)?.state;
      const used =
        r.kind === 'channel'
          ? registry.usesChannel(r.callId, id)
          : s !== undefined && (s.bridgeId === id || s.transfer?.consultBridgeId === id);
      if (!present) {
        // Gone from the PBX, its end handled (or its event missed): nothing left to do.
        if (!used) registry.gone(id);
        continue;
      }
      if (used || !confirmed(`orphan:${id}`)) continue;
      registry.abandon(id);
      if (r.kind === 'channel') {
        found.orphanChannels++;
        logger.warn({ callId: r.callId, channelId: id }, 'reconciliation: hanging up an orphaned leg');
        await telephony.hangup(id, 'normal').catch(() => undefined);
      } else {
        found.orphanBridges++;
        logger.warn({ callId: r.callId, bridgeId: id }, 'reconciliation: destroying an orphaned bridge');
        await telephony.destroyBridge(id).catch(() => undefined);
      }
    }
  }

  /** Legs of live calls the PBX no longer has: their calls are told. */
  private lost(
    old: number,
    channels: Set<string>,
    confirmed: (key: string) => boolean,
    found: ReconcileFindings,
    covered: (id: string) => boolean,
  ): void {
    const { registry } = this.o;
    for (const live of registry.all()) {
      const s = live.state;
      if (s.arrivedAt > old || !covered(s.id)) continue;
      for (const ch of legsOf(s)) {
        if (!ch || channels.has(ch) || registry.isSending(ch)) continue;
        if (!registry.has(s.id) || !registry.usesChannel(s.id, ch)) continue;
        const made = registry.made(ch);
        // A leg the engine made whose end it has seen is no longer in `created`.
        if (ch !== s.callerChannel && !made) continue;
        if ((made && made.at > old) || !confirmed(`lost:${ch}`)) continue;
        found.lostChannels++;
        this.o.logger.warn({ callId: s.id, channelId: ch }, 'reconciliation: a leg of a live call is gone');
        registry.gone(ch);
        this.o.deliver(s.id, {
          kind: 'channel-ended',
          channel: ch,
          cause: 0,
          causeText: 'gone (reconciliation)',
          lost: true,
        });
        if (!registry.has(s.id)) found.endedCalls++;
      }
    }
  }
}
