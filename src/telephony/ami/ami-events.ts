import { z } from 'zod';

/**
 * The AMI events the engine reads, checked at the edge. asterisk-manager hands events over with
 * lower-cased header names and text values; anything else is refused with the field that was
 * wrong. Shapes as Asterisk 22 sends them (main/stasis_endpoints.c `ContactStatus`,
 * res_pjsip `EndpointList` / `ContactList` list events).
 */
const name = z.string().min(1).max(200);
const text = z.string().max(2000);

export const contactStatusEvent = z.object({
  event: z.literal('ContactStatus'),
  uri: text,
  /** Unknown, Unreachable, Reachable, Unqualified, Removed, Created, Updated. */
  contactstatus: name,
  aor: z.string().max(200),
  endpointname: z.string().max(200),
  roundtripusec: z.string().max(40).optional(),
});

export const endpointListEvent = z.object({
  event: z.literal('EndpointList'),
  actionid: z.string().optional(),
  objectname: name,
  /** Unavailable when no contact can be reached; Not in use, In use, Busy, Ringing, … otherwise. */
  devicestate: z.string().max(80),
  contacts: z.string().max(20_000).optional(),
});

export const contactListEvent = z.object({
  event: z.literal('ContactList'),
  actionid: z.string().optional(),
  /** `<aor>;@<hash>` */
  objectname: name,
  uri: text,
  /** Empty for contacts no REGISTER created. */
  endpoint: z.string().max(200).optional(),
  /** Reachable, Unreachable, NonQualified, Unknown. */
  status: z.string().max(80),
});

export type ContactStatusEvent = z.infer<typeof contactStatusEvent>;
export type EndpointListEvent = z.infer<typeof endpointListEvent>;
export type ContactListEvent = z.infer<typeof contactListEvent>;

/** Contact statuses under which Asterisk still dials the contact. */
export function contactUsable(status: string): boolean {
  const s = status.toLowerCase();
  return s !== 'unreachable' && s !== 'removed';
}

/** Says which field of an event failed its schema, without its value. */
export function firstProblem(error: z.ZodError): { field: string; problem: string } {
  const issue = error.issues[0];
  return { field: issue?.path.join('.') || '(event)', problem: issue?.message ?? 'invalid' };
}
