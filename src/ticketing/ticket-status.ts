import { z } from 'zod';
import { sayNumber } from '../prompts/say-number.ts';

/**
 * A ticket's progress as the ticketing system reports it, and the prompts that read it to the
 * caller in the IVR's self-query (办理进度自助查询).
 */
export const TicketStatusName = z.enum([
  'accepted',
  'dispatched',
  'in-progress',
  'replied',
  'closed',
  'unknown',
]);
export type TicketStatusName = z.infer<typeof TicketStatusName>;

/** The body of `GET /tickets/{number}`; unknown fields are ignored, an unknown status reads as `unknown`. */
export const TicketStatusResponse = z.object({
  status: z.string().transform((s) => {
    const known = TicketStatusName.safeParse(s.toLowerCase());
    return known.success ? known.data : 'unknown';
  }),
  /** Whole days since the ticket was accepted. */
  daysOpen: z.number().int().min(0).max(9999).optional(),
});
export type TicketStatus = z.infer<typeof TicketStatusResponse>;

/** The prompt ids this module plays, with their texts (the prompt manifest renders them). */
export const ticketPrompts = {
  'ticket-status-accepted': '您查询的工单已受理，正在转交有关部门。',
  'ticket-status-dispatched': '您查询的工单已转交有关部门，正在办理。',
  'ticket-status-in-progress': '您查询的工单有关部门正在办理。',
  'ticket-status-replied': '您查询的工单有关部门已答复，请留意答复短信或回访电话。',
  'ticket-status-closed': '您查询的工单已办结，感谢您对政务服务的监督。',
  'ticket-status-unknown': '您查询的工单正在办理中，详细进度请咨询人工服务。',
  'ticket-days-open': '该工单已受理',
  'ticket-days-unit': '天。',
  'ticket-not-found': '未查询到该工单，请核对工单编号后重新查询。',
} as const;
export type TicketPromptId = keyof typeof ticketPrompts;

/**
 * The prompts that read a status: the status sentence, then for tickets still being handled
 * how long they have been open ("该工单已受理" + number + "天。", 两 for 2).
 */
export function statusPrompts(status: TicketStatus): string[] {
  const out: string[] = [`ticket-status-${status.status}`];
  const open = status.status !== 'closed' && status.status !== 'unknown';
  if (open && status.daysOpen !== undefined && status.daysOpen > 0)
    out.push('ticket-days-open', ...sayNumber(status.daysOpen, { quantity: true }), 'ticket-days-unit');
  return out;
}

/** What the caller hears for a number the ticketing system does not know. */
export const notFoundPrompts = (): string[] => ['ticket-not-found'];
