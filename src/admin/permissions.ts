import type { Role } from './tokens.ts';

/**
 * Who may call which route. Every route the API registers must appear here (the server refuses
 * to start otherwise), so a new route is never open by accident.
 * - `public`: no token (health check, the page shells and their assets);
 * - `roles`: the roles allowed; for `agent`, `agent: 'self'` limits it to its own agent id
 *   (`:id` of the route) and `agent: 'own-call'` to calls it is on (`:id` is a call id).
 * Roles: admin — rules and numbers, audit, access ledger; supervisor — reads everything
 * operational and changes agents' states; agent — its own state, calls, transfers and events.
 */
export interface RoutePolicy {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  public?: boolean;
  roles?: readonly Role[];
  agent?: 'self' | 'own-call';
  /** The response carries callers' data: reads are written to the access ledger. */
  callerData?: boolean;
}

const SUP: Role[] = ['supervisor'];
const SUP_AGENT: Role[] = ['supervisor', 'agent'];
const ADMIN: Role[] = ['admin'];
const ADMIN_SUP: Role[] = ['admin', 'supervisor'];
const ALL: Role[] = ['admin', 'supervisor', 'agent'];

export const routePolicies: readonly RoutePolicy[] = [
  { method: 'GET', url: '/health', public: true, summary: 'Liveness: center, live calls, ARI reconnects' },
  { method: 'GET', url: '/', public: true, summary: 'Redirects to the wallboard page' },
  { method: 'GET', url: '/web/:file', public: true, summary: 'The web pages and their scripts and styles' },
  { method: 'GET', url: '/docs', public: true, summary: 'The API reference page' },
  { method: 'GET', url: '/favicon.ico', public: true, summary: "The pages' icon (browsers ask for it)" },
  { method: 'GET', url: '/docs/openapi.json', roles: ALL, summary: 'The OpenAPI document of this API' },
  { method: 'GET', url: '/me', roles: ALL, summary: 'Who the token belongs to: token id, role, agent id' },
  { method: 'GET', url: '/metrics', roles: ADMIN_SUP, summary: 'Prometheus metrics' },
  { method: 'GET', url: '/stats', roles: ADMIN_SUP, summary: 'Wallboard figures: day KPIs, queues, agents' },
  { method: 'GET', url: '/agents', roles: SUP, summary: 'All agents with their state' },
  { method: 'GET', url: '/agents/:id', roles: SUP_AGENT, agent: 'self', summary: 'One agent' },
  { method: 'POST', url: '/agents/:id/login', roles: SUP_AGENT, agent: 'self', summary: 'Log an agent in' },
  { method: 'POST', url: '/agents/:id/ready', roles: SUP_AGENT, agent: 'self', summary: 'Agent ready' },
  {
    method: 'POST',
    url: '/agents/:id/not-ready',
    roles: SUP_AGENT,
    agent: 'self',
    summary: 'Agent not ready (with a reason)',
  },
  { method: 'GET', url: '/not-ready-reasons', roles: ALL, summary: "The center's not-ready reasons" },
  { method: 'POST', url: '/agents/:id/logout', roles: SUP_AGENT, agent: 'self', summary: 'Log an agent out' },
  {
    method: 'POST',
    url: '/agents/:id/wrap-up/end',
    roles: SUP_AGENT,
    agent: 'self',
    summary: 'End wrap-up',
  },
  {
    method: 'GET',
    url: '/agents/:id/events',
    roles: SUP_AGENT,
    agent: 'self',
    summary: "An agent's call events (server-sent events)",
  },
  { method: 'GET', url: '/queues', roles: SUP, summary: 'Live queue figures' },
  { method: 'GET', url: '/calls', roles: SUP, callerData: true, summary: 'Live calls (callers masked)' },
  {
    method: 'GET',
    url: '/calls/:id',
    roles: SUP_AGENT,
    agent: 'own-call',
    callerData: true,
    summary: 'One live call: line, topic, masked caller, IVR path, transfer',
  },
  {
    method: 'POST',
    url: '/calls/:id/transfers',
    roles: ['agent'],
    agent: 'own-call',
    summary: 'Transfer a call (three-way, consult, blind)',
  },
  {
    method: 'POST',
    url: '/calls/:id/transfers/:tid/complete',
    roles: ['agent'],
    agent: 'own-call',
    summary: 'Complete a consult transfer',
  },
  {
    method: 'POST',
    url: '/calls/:id/transfers/:tid/cancel',
    roles: ['agent'],
    agent: 'own-call',
    summary: 'Cancel a consult transfer',
  },
  {
    method: 'DELETE',
    url: '/calls/:id/agent',
    roles: ['agent'],
    agent: 'own-call',
    summary: 'The agent leaves the call',
  },
  {
    method: 'POST',
    url: '/calls/:id/tickets',
    roles: ['agent'],
    agent: 'own-call',
    summary: 'Dispatch a ticket to a sub-center',
  },
  {
    method: 'GET',
    url: '/calls/:id/screen-pop',
    roles: SUP_AGENT,
    agent: 'own-call',
    callerData: true,
    summary: "The screen pop: the caller's earlier calls (masked) and the line's standard answers",
  },
  {
    method: 'POST',
    url: '/calls/:id/hold',
    roles: ['agent'],
    agent: 'own-call',
    summary: 'Put the citizen on hold (music on hold)',
  },
  {
    method: 'DELETE',
    url: '/calls/:id/hold',
    roles: ['agent'],
    agent: 'own-call',
    summary: 'Take the citizen back from hold',
  },
  {
    method: 'POST',
    url: '/calls/:id/mute',
    roles: ['agent'],
    agent: 'own-call',
    summary: "Mute the agent's microphone",
  },
  {
    method: 'DELETE',
    url: '/calls/:id/mute',
    roles: ['agent'],
    agent: 'own-call',
    summary: "Unmute the agent's microphone",
  },
  { method: 'GET', url: '/calls/:id/monitor', roles: ADMIN_SUP, summary: "A call's supervisor monitoring" },
  {
    method: 'POST',
    url: '/calls/:id/monitor',
    roles: ADMIN_SUP,
    summary: "Listen, whisper or barge on a talking call from the supervisor's phone (audited)",
  },
  {
    method: 'PATCH',
    url: '/calls/:id/monitor',
    roles: ADMIN_SUP,
    summary: 'Change the monitoring mode: listen, whisper, barge (audited)',
  },
  { method: 'DELETE', url: '/calls/:id/monitor', roles: ADMIN_SUP, summary: 'End the monitoring (audited)' },
  { method: 'GET', url: '/transfer-targets', roles: SUP_AGENT, summary: 'Where calls can be transferred' },
  { method: 'GET', url: '/rules', roles: ADMIN_SUP, summary: 'The live rules: version and files' },
  {
    method: 'GET',
    url: '/rules/versions',
    roles: ADMIN_SUP,
    summary: 'Every version with author, time, diff',
  },
  { method: 'GET', url: '/rules/versions/:n', roles: ADMIN_SUP, summary: 'One version with its files' },
  { method: 'POST', url: '/rules/validate', roles: ADMIN, summary: 'Validate a draft' },
  { method: 'POST', url: '/rules/explain', roles: ADMIN_SUP, summary: 'Dry run of a call (draft or live)' },
  { method: 'POST', url: '/rules/publish', roles: ADMIN, summary: 'Publish a draft as the next version' },
  {
    method: 'POST',
    url: '/rules/publish/preview',
    roles: ADMIN_SUP,
    summary: 'What publishing a draft would change',
  },
  {
    method: 'POST',
    url: '/rules/whatif',
    roles: ADMIN_SUP,
    summary: "What-if (试算): a day's traffic through the live rules and a draft, side by side (audited)",
  },
  {
    method: 'GET',
    url: '/rules/versions/:n/rollback/preview',
    roles: ADMIN_SUP,
    summary: 'What rolling back to a version would change',
  },
  {
    method: 'POST',
    url: '/rules/versions/:n/rollback',
    roles: ADMIN,
    summary: "Publish an earlier version's files as the next version",
  },
  {
    method: 'GET',
    url: '/admission',
    roles: ADMIN_SUP,
    summary: 'Admission control: state, reason, the operator hold, last measurements, calls shed',
  },
  {
    method: 'PUT',
    url: '/admission',
    roles: ADMIN,
    summary: 'Hold admission control at a state (divert new calls to the safety net) or release it',
  },
  {
    method: 'GET',
    url: '/roster/agents',
    roles: ADMIN_SUP,
    summary:
      "The roster: agents' phones, skills, pools, expert seats, disabled or not; the plan's pools and seats",
  },
  { method: 'GET', url: '/roster/agents/:id', roles: ADMIN_SUP, summary: 'One agent of the roster' },
  {
    method: 'POST',
    url: '/roster/agents',
    roles: ADMIN,
    summary: 'Add an agent (effective at once, audited)',
  },
  {
    method: 'PUT',
    url: '/roster/agents/:id',
    roles: ADMIN,
    summary: "Change an agent's definition (effective at once, audited)",
  },
  {
    method: 'POST',
    url: '/roster/agents/:id/disable',
    roles: ADMIN,
    summary: 'Disable an agent: offered no more calls (a call in progress is finished first)',
  },
  {
    method: 'POST',
    url: '/roster/agents/:id/enable',
    roles: ADMIN,
    summary: 'Enable a disabled agent again',
  },
  {
    method: 'GET',
    url: '/recordings',
    roles: ADMIN_SUP,
    callerData: true,
    summary: 'Recorded calls kept (callers masked), newest first',
  },
  {
    method: 'GET',
    url: '/recordings/:id',
    roles: ADMIN_SUP,
    callerData: true,
    summary: "A call recording's audio (audio/wav, byte ranges); every playback is in the access ledger",
  },
  {
    method: 'GET',
    url: '/reports/summary',
    roles: ADMIN_SUP,
    summary:
      'Report by hour/day/month and line/department/queue/agent/phase (?from&to&grain&by&format=csv): offered, answered, 接通率, 15 s service level, ASA, abandonment, talk time, survey; every read in the access ledger',
  },
  {
    method: 'GET',
    url: '/reports/transfers',
    roles: ADMIN_SUP,
    summary:
      'Transfers by period, target and mode (?from&to&grain&format=csv); every read in the access ledger',
  },
  {
    method: 'GET',
    url: '/reports/heatmap',
    roles: ADMIN_SUP,
    summary:
      'Offered and answered calls by weekday × hour (?from&to&format=csv); every read in the access ledger',
  },
  { method: 'GET', url: '/admin/audit', roles: ADMIN_SUP, summary: 'What administrators changed' },
  { method: 'GET', url: '/admin/access-ledger', roles: ADMIN, summary: "Who read which callers' data" },
];

const byKey = new Map(routePolicies.map((p) => [`${p.method} ${p.url}`, p]));

/** The policy of a route (HEAD is GET's). */
export function policyOf(method: string, url: string): RoutePolicy | undefined {
  return byKey.get(`${method === 'HEAD' ? 'GET' : method} ${url}`);
}
