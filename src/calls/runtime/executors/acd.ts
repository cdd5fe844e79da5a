import type { Logger } from 'pino';
import type { DevicePresence } from '../../../acd/device-presence.ts';
/** ACD queue id of a plan queue. */
import { acdQueueId } from '../../../acd/plan-queues.ts';
import { queuePosition } from '../../../acd/position.ts';
import type { SharedSnapshot } from '../../../acd/shared-snapshot.ts';
import type { AcdStore } from '../../../acd/store/port.ts';
import type { CallEvent, Command } from '../../core/types.ts';
import type { Live } from '../registry.ts';
import type { EngineStats } from '../stats.ts';

export { acdQueueId };

export type AcdCommand = Extract<
  Command,
  {
    kind:
      | 'enqueue'
      | 'dequeue'
      | 'agent-answered'
      | 'agent-release'
      | 'agent-complete'
      | 'ask-position'
      | 'mark-callback';
  }
>;

/** A call-back's mark on its ACD entry (the caller asked for it and hung up; see capabilities/callback.ts). */
function callbackMark(s: Live['state']): { callback?: { requestedAt: number } } {
  const requestedAt = s.callback?.requestedAt;
  const away = s.callback?.status === 'pending' || s.callback?.status === 'confirming';
  return away && requestedAt !== undefined ? { callback: { requestedAt } } : {};
}

export interface AcdExecutorOptions {
  engineId: string;
  acd: AcdStore;
  devices: DevicePresence;
  /** What queue announcements count from: one shared, recent ACD snapshot. */
  positions: SharedSnapshot;
  stats: EngineStats;
  logger: Logger;
  deliver: (callId: string, event: CallEvent) => void;
}

/** Runs a call's ACD commands in order (its own chain, apart from its telephony commands). */
export class AcdExecutor {
  /** ACD entries other than a call's own id (a consult waiting for an expert) → their call. */
  private readonly entries = new Map<string, string>();

  constructor(private readonly o: AcdExecutorOptions) {}

  /** The call an ACD entry belongs to: the entry itself is the call's id unless it was made apart. */
  callOf(entry: string): string {
    return this.entries.get(entry) ?? entry;
  }

  submit(live: Live, c: AcdCommand): void {
    live.acdChain = live.acdChain.then(() => this.run(live, c));
  }

  private async run(live: Live, c: AcdCommand): Promise<void> {
    const s = live.state;
    const acd = this.o.acd;
    const entry =
      c.kind !== 'ask-position' && c.kind !== 'mark-callback' && c.entry !== undefined ? c.entry : s.id;
    try {
      switch (c.kind) {
        case 'enqueue':
          if (entry !== s.id) this.entries.set(entry, s.id);
          await acd.enqueue({
            callId: entry,
            queueId: acdQueueId(c.queue.kind, c.queue.id),
            priority: c.queue.priority,
            enqueuedAt: c.queue.enqueuedAt,
            preferredSkill: c.queue.skill,
            engineId: this.o.engineId,
            ...(entry === s.id ? callbackMark(s) : {}),
          });
          return;
        case 'mark-callback':
          await acd.markCallback(entry, c.requestedAt);
          return;
        case 'dequeue':
          this.entries.delete(entry);
          await acd.removeCall(entry);
          return;
        case 'agent-answered':
          await acd.confirm(entry);
          return;
        case 'agent-release':
          if (c.outcome === 'cancelled') this.entries.delete(entry);
          await acd.release(entry, c.outcome);
          if (c.outcome === 'busy') this.o.devices.heldBusy(c.agentId);
          return;
        case 'agent-complete':
          this.entries.delete(entry);
          await acd.complete(entry, c.talkSeconds);
          return;
        case 'ask-position': {
          const figures = await this.position(live);
          this.o.deliver(s.id, { kind: 'position', ...figures });
          return;
        }
      }
    } catch (err) {
      this.o.stats.commandFailures++;
      this.o.logger.warn(
        { callId: s.id, command: c.kind, code: (err as { code?: string }).code, err: (err as Error).message },
        'ACD refused a command',
      );
    }
  }

  /** The caller's place in its queue and a wait estimate, from the shared snapshot. */
  private async position(live: Live): Promise<{ ahead: number; expectedWaitSeconds: number | null }> {
    const s = live.state;
    if (!s.queue) return { ahead: 0, expectedWaitSeconds: null };
    const snapshot = await this.o.positions.get();
    return queuePosition(snapshot, {
      callId: s.id,
      queueId: acdQueueId(s.queue.kind, s.queue.id),
      priority: s.queue.priority,
      enqueuedAt: s.queue.enqueuedAt,
      preferredSkill: s.queue.skill,
    });
  }

  /**
   * Puts waiting calls in their ACD queues again (after the store lost its state); calls the
   * store still holds are left as they are. Returns how many were put back.
   */
  async requeue(calls: Iterable<Live>): Promise<number> {
    let n = 0;
    for (const live of calls) {
      const s = live.state;
      if (s.stage !== 'queued' || !s.queue) continue;
      try {
        await this.o.acd.enqueue({
          callId: s.id,
          queueId: acdQueueId(s.queue.kind, s.queue.id),
          priority: s.queue.priority,
          enqueuedAt: s.queue.enqueuedAt,
          preferredSkill: s.queue.skill,
          engineId: this.o.engineId,
          ...callbackMark(s),
        });
        n++;
      } catch (err) {
        if ((err as { code?: string }).code !== 'duplicate-call') throw err;
      }
    }
    return n;
  }
}
