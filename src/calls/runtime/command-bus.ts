import type { Command } from '../core/types.ts';
import type { AcdExecutor } from './executors/acd.ts';
import type { DeskExecutor } from './executors/desk.ts';
import type { NotifyExecutor } from './executors/notify.ts';
import type { RecordingExecutor } from './executors/recording.ts';
import type { TelephonyExecutor } from './executors/telephony.ts';
import type { TicketingExecutor } from './executors/ticketing.ts';
import type { Live } from './registry.ts';
import type { CallTimers } from './timers.ts';

export interface CommandBusParts {
  timers: CallTimers;
  telephony: TelephonyExecutor;
  acd: AcdExecutor;
  ticketing: TicketingExecutor;
  notify: NotifyExecutor;
  recording: RecordingExecutor;
  desk: DeskExecutor;
  /** The call ended (the `ended` command): the runtime lets it go. */
  finish: (live: Live) => void;
  /** Monotonic ms now (for action-latency samples). */
  elapsedMs: () => number;
  /** Gets ms from an event's arrival to its first PBX request (benchmarks). */
  onActionLatency?: ((ms: number) => void) | undefined;
}

/** Takes the commands a session emitted and routes each kind to the one executor that owns it. */
export class CommandBus {
  constructor(private readonly p: CommandBusParts) {}

  /** Takes an action-latency sample measured outside `run` (a shed call's hand-over). */
  sample(ms: number): void {
    this.p.onActionLatency?.(ms);
  }

  /** `t0`: when the event that produced the commands arrived (elapsedMs), to sample latency. */
  run(live: Live, commands: Command[], t0?: number): void {
    const p = this.p;
    let mark: (() => void) | undefined;
    if (t0 !== undefined && p.onActionLatency) {
      const sample = p.onActionLatency;
      mark = () => sample(p.elapsedMs() - t0);
    }
    /** The first telephony command takes the latency sample with it. */
    const claim = () => {
      const m = mark;
      mark = undefined;
      return m;
    };
    for (const c of commands) {
      switch (c.kind) {
        case 'start-timer':
          p.timers.arm(live, c.name, c.token, c.ms);
          break;
        case 'cancel-timer':
          p.timers.cancel(live, c.name);
          break;
        case 'enqueue':
        case 'dequeue':
        case 'agent-answered':
        case 'agent-release':
        case 'agent-complete':
        case 'ask-position':
        case 'mark-callback':
          p.acd.submit(live, c);
          break;
        case 'lookup-ticket':
          p.ticketing.run(live.state.id, c);
          break;
        case 'notify':
          p.notify.run(c);
          break;
        case 'record-bridge':
          p.recording.submit(live, c);
          break;
        case 'channel-moh':
        case 'channel-mute':
          p.desk.submit(live, c);
          break;
        case 'ended':
          p.finish(live);
          break;
        default:
          p.telephony.submit(live, c, claim());
      }
    }
  }
}
