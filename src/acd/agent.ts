import { z } from 'zod';

/**
 * The agent model: a roster entry (what the administrators define) and the live status (what
 * the ACD tracks). Schemas first; the types are inferred from them.
 */

/**
 * An agent's phone: a plain PJSIP device by its endpoint name (`PJSIP/agent1001`). No `@trunk`,
 * no `Local/` channel, no second `/`, no dial options: an agent's endpoint can only ring a
 * registered phone of the center, never a number outside it.
 */
export const deviceEndpointSchema = z
  .string()
  .regex(
    /^PJSIP\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'a plain PJSIP device, e.g. PJSIP/agent1001 (no @trunk, no Local/, no dial options)',
  );

export const skillLevelSchema = z.number().int().min(1).max(10);

export const agentDefinitionSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1),
  centerId: z.string().min(1),
  /** Default phone (`PJSIP/agent1001`): the one a login without an endpoint uses. */
  endpoint: deviceEndpointSchema.optional(),
  /** Further phones assigned to the agent (a second desk); a login may choose among all of them. */
  endpoints: z.array(deviceEndpointSchema).max(16).optional(),
  /** Skill name → level 1–10. */
  skills: z.record(z.string().min(1), skillLevelSchema).default({}),
  /** Agent pools (queue ids of kind `pool`) the agent serves. */
  pools: z.array(z.string().min(1)).default([]),
  /** Expert seat groups (queue ids of kind `expert`) the agent staffs for a department. */
  expertSeats: z.array(z.string().min(1)).default([]),
  /** The department an expert seat agent belongs to (e.g. `12333` human resources). */
  department: z.string().min(1).optional(),
});
export type AgentDefinition = z.infer<typeof agentDefinitionSchema>;
export type AgentDefinitionInput = z.input<typeof agentDefinitionSchema>;

export const agentStates = ['logged-out', 'ready', 'reserved', 'on-call', 'wrap-up', 'not-ready'] as const;
export const agentStateSchema = z.enum(agentStates);
export type AgentState = z.infer<typeof agentStateSchema>;

/** Today's counters, used for fairness; they start from zero each day (Asia/Shanghai). */
export const dailyCountersSchema = z.object({
  day: z.string(),
  callsAnswered: z.number().int().min(0),
  talkSeconds: z.number().min(0),
  lastCallEndAt: z.number().optional(),
});
export type DailyCounters = z.infer<typeof dailyCountersSchema>;

export const agentStatusSchema = z.object({
  state: agentStateSchema,
  /** When the current state was entered (ms). */
  since: z.number(),
  /** The endpoint given at login (kept after logout as the last one used). */
  endpoint: z.string().optional(),
  notReadyReason: z.string().optional(),
  /** A not-ready request received during a reservation, call or wrap-up, applied when it ends. */
  pendingNotReady: z.string().optional(),
  /** The call held (reserved, on-call, wrap-up) and its queue. */
  callId: z.string().optional(),
  queueId: z.string().optional(),
  /** The engine holding the reservation. */
  engineId: z.string().optional(),
  /** Reservation expiry (reserved) or automatic end of wrap-up (wrap-up), in ms. */
  until: z.number().optional(),
  /** When the agent last became ready; the key of `longest-idle`. Kept across a failed offer. */
  readySince: z.number().optional(),
  /** When the agent was last offered a call; the key of `round-robin`. */
  lastOfferAt: z.number().optional(),
  /** Softphone registered and reachable (fed by the telephony layer). */
  deviceAvailable: z.boolean(),
  counters: dailyCountersSchema,
});
export type AgentStatus = z.infer<typeof agentStatusSchema>;

export interface Agent extends AgentDefinition {
  status: AgentStatus;
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** The calendar day (YYYY-MM-DD) in Asia/Shanghai (UTC+8, no daylight saving) at `now`. */
export function shanghaiDay(now: number): string {
  return new Date(now + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The counters as of `now`: zero if they belong to an earlier day. */
export function countersOn(counters: DailyCounters, now: number): DailyCounters {
  const day = shanghaiDay(now);
  return counters.day === day ? counters : { day, callsAnswered: 0, talkSeconds: 0 };
}

/** The status of an agent just added to the roster. */
export function initialStatus(now: number): AgentStatus {
  return {
    state: 'logged-out',
    since: now,
    deviceAvailable: true,
    counters: { day: shanghaiDay(now), callsAnswered: 0, talkSeconds: 0 },
  };
}

/** Where an agent's phones are named: the default one and the further ones. */
export interface AgentPhones {
  endpoint?: string | undefined;
  endpoints?: readonly string[] | undefined;
}

/** The phones assigned to an agent, the default one first (no duplicates). */
export function assignedEndpoints(agent: AgentPhones): string[] {
  const all = [...(agent.endpoint !== undefined ? [agent.endpoint] : []), ...(agent.endpoints ?? [])];
  return [...new Set(all)];
}

/** The phone a login without an endpoint uses: the default, else the first assigned. */
export function defaultEndpoint(agent: AgentPhones): string | undefined {
  return agent.endpoint ?? agent.endpoints?.[0];
}

/** The queue ids (pools and expert seat groups) an agent belongs to. */
export function memberships(agent: AgentDefinition): string[] {
  return agent.expertSeats.length === 0 ? agent.pools : [...agent.pools, ...agent.expertSeats];
}

/** An agent can be offered a call now: ready with a registered softphone. */
export function isOfferable(agent: Agent): boolean {
  return agent.status.state === 'ready' && agent.status.deviceAvailable;
}
