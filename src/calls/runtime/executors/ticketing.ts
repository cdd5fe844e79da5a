import type { CallEvent, Command } from '../../core/types.ts';
import type { TicketingPort } from '../ticketing.ts';

/** Looks tickets up for callers asking about their progress (the `lookup-ticket` command). */
export class TicketingExecutor {
  constructor(
    private readonly ticketing: TicketingPort,
    private readonly deliver: (callId: string, event: CallEvent) => void,
  ) {}

  run(callId: string, c: Extract<Command, { kind: 'lookup-ticket' }>): void {
    void this.ticketing
      .lookup(c.ticketNumber)
      .catch(() => null)
      .then((prompts) => this.deliver(callId, { kind: 'ticket-status', prompts }));
  }
}
