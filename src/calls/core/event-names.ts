/** Everything a call's log (`CallState.events`) records: the one list of event names. */
export type EventName =
  | 'arrived'
  | 'key'
  | 'menu'
  | 'menu-default'
  | 'ticket-status'
  | 'ticket-status-unavailable'
  | 'prompt-refused'
  | 'queued'
  | 'overflow'
  | 'max-wait'
  | 'offer'
  | 'offer-failed'
  | 'connected'
  | 'agent-left'
  | 'dial'
  | 'target-connected'
  | 'target-failed'
  | 'target-left'
  | 'transfer'
  | 'transfer-connected'
  | 'transfer-failed'
  | 'transfer-target-left'
  | 'transfer-cancelled'
  | 'ticket-dispatched'
  | 'survey'
  | 'shed'
  | 'pbx-lost'
  | 'recording'
  | 'hold'
  | 'unhold'
  | 'mute'
  | 'unmute'
  | 'callback-offered'
  | 'callback-requested'
  | 'callback-cancelled'
  | 'callback-pending'
  | 'callback-dial'
  | 'callback-attempt-failed'
  | 'callback-connected'
  | 'ended';

export interface CallEventLog {
  at: number;
  what: EventName;
  detail?: Record<string, string | number | boolean | undefined>;
}
