import { HotlineError } from '../errors.ts';

/**
 * An error the simulator answers over ARI REST. `status` is the HTTP status Asterisk would use,
 * `message` is the text Asterisk puts in `{"message": ...}` (clients match on it), `code` is the
 * project's stable machine id.
 */
export class SimRestError extends HotlineError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

export const channelNotFound = (): SimRestError =>
  new SimRestError(404, 'sim-channel-not-found', 'Channel not found');
export const bridgeNotFound = (): SimRestError =>
  new SimRestError(404, 'sim-bridge-not-found', 'Bridge not found');
export const playbackNotFound = (): SimRestError =>
  new SimRestError(404, 'sim-playback-not-found', 'Playback not found');
export const applicationNotFound = (): SimRestError =>
  new SimRestError(404, 'sim-application-not-found', 'Application not found');
export const endpointNotFound = (): SimRestError =>
  new SimRestError(404, 'sim-endpoint-not-found', 'Endpoint not found');
export const notInStasis = (): SimRestError =>
  new SimRestError(409, 'sim-channel-not-in-stasis', 'Channel not in Stasis application');
export const badRequest = (message: string): SimRestError =>
  new SimRestError(400, 'sim-bad-request', message);
export const conflict = (message: string): SimRestError => new SimRestError(409, 'sim-conflict', message);
export const unprocessable = (message: string): SimRestError =>
  new SimRestError(422, 'sim-unprocessable', message);

/** Misuse of the simulator's control API (unknown channel, bad option). */
export class SimControlError extends HotlineError {
  readonly status: number;
  readonly field: string | undefined;
  constructor(code: string, message: string, status = 400, field?: string) {
    super(code, message);
    this.status = status;
    this.field = field;
  }
}
