/** Looks up a ticket's progress for the self-query: the prompts that read its status, or null when unavailable. */
export interface TicketingPort {
  lookup(ticketNumber: string): Promise<string[] | null>;
}

/** No ticketing system configured: every lookup is unavailable, so the caller hears the apology and gets an agent. */
export const noTicketing: TicketingPort = {
  lookup: async () => null,
};
