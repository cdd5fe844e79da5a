import type { Clock } from '../../../clock.ts';
import type { AgentNotice, Command } from '../../core/types.ts';

/** What an agent's desktop is told about its calls. */
export interface AgentEvent {
  agentId: string;
  event: AgentNotice;
  at: number;
  detail: Record<string, string | number | undefined>;
}

/** Tells agents' desktops about their calls (the `notify` command). */
export class NotifyExecutor {
  private readonly listeners: ((event: AgentEvent) => void)[] = [];

  constructor(private readonly clock: Clock) {}

  listen(listener: (event: AgentEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  run(c: Extract<Command, { kind: 'notify' }>): void {
    const event: AgentEvent = {
      agentId: c.agentId,
      event: c.event,
      at: this.clock.now(),
      detail: c.detail ?? {},
    };
    for (const l of this.listeners) l(event);
  }
}
