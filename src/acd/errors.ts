import { HotlineError } from '../errors.ts';

/** Stable machine codes of the ACD's errors (what APIs return and tests assert on). */
export type AcdErrorCode =
  | 'invalid-transition'
  | 'no-such-agent'
  | 'no-such-call'
  | 'no-such-reservation'
  | 'duplicate-call'
  | 'device-unavailable'
  | 'invalid-agent'
  | 'invalid-queue'
  | 'no-such-queue'
  | 'store-conflict';

export class AcdError extends HotlineError {
  declare readonly code: AcdErrorCode;
  constructor(code: AcdErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** An agent event that the agent's current state does not allow (e.g. `ready` while on a call). */
export class InvalidTransitionError extends AcdError {
  readonly state: string;
  readonly event: string;
  constructor(state: string, event: string) {
    super('invalid-transition', `an agent in state '${state}' cannot take event '${event}'`);
    this.state = state;
    this.event = event;
  }
}

export class NoSuchAgentError extends AcdError {
  readonly agentId: string;
  constructor(agentId: string) {
    super('no-such-agent', `no agent '${agentId}'`);
    this.agentId = agentId;
  }
}

export class NoSuchReservationError extends AcdError {
  readonly callId: string;
  constructor(callId: string, detail = 'no agent holds a reservation for it') {
    super('no-such-reservation', `call '${callId}': ${detail}`);
    this.callId = callId;
  }
}
