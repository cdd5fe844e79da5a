import type { Clock } from '../../clock.ts';
import type { CallEvent } from '../core/types.ts';
import type { Live } from './registry.ts';

/**
 * Per-call timers armed from the sessions' commands. While the event connection is down, timer
 * events wait: acting on state that missed the PBX's events (an agent who answered meanwhile)
 * could undo what happened. They are released after the resync.
 */
export class CallTimers {
  private held: { callId: string; event: CallEvent }[] | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly deliver: (callId: string, event: CallEvent) => void,
  ) {}

  /** Arms a call's timer; when it fires, the call gets the timer event with its token. */
  arm(live: Live, name: string, token: number, ms: number): void {
    live.timers.get(name)?.cancel();
    live.timers.set(
      name,
      this.clock.after(Math.max(0, ms), () => {
        live.timers.delete(name);
        const event: CallEvent = { kind: 'timer', name, token };
        if (this.held) this.held.push({ callId: live.state.id, event });
        else this.deliver(live.state.id, event);
      }),
    );
  }

  cancel(live: Live, name: string): void {
    live.timers.get(name)?.cancel();
    live.timers.delete(name);
  }

  cancelAll(live: Live): void {
    for (const t of live.timers.values()) t.cancel();
    live.timers.clear();
  }

  /** The event connection is down: timer events wait from now on. */
  hold(): void {
    this.held ??= [];
  }

  /** Whether timer events are being held (an event outage not yet resynchronised). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** After resync, timers that fell due during the outage fire (stale ones are ignored by their token). */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const { callId, event } of held) this.deliver(callId, event);
  }
}
