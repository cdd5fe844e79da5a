import type { TelephonyListener, TelephonyPort } from './port.ts';

/** A snoop channel on a live channel, put into the app with `appArgs` (ARI `POST /channels/{id}/snoop/{snoopId}`). */
export interface SnoopRequest {
  /** The channel listened to (the agent's leg). */
  channelId: string;
  snoopId: string;
  /** Directions seen from `channelId`: `in` is what it sends, `out` what it is sent. */
  spy: 'none' | 'in' | 'out' | 'both';
  whisper: 'none' | 'in' | 'out' | 'both';
  app: string;
  appArgs: string;
}

/**
 * What supervisor monitoring asks of the PBX besides the ordinary commands: snoop channels, and
 * its own channels' events kept away from the call engine. A channel whose StasisStart carries
 * `role` as its first app argument, or an id claimed for the role, has its events (entered, ended,
 * DTMF) sent to the role's listener instead of the engine's, and is left out of `owned()` (so a
 * resync never takes it for a caller); a claimed bridge is left out of `owned()` too.
 */
export interface SnoopPort
  extends Pick<
    TelephonyPort,
    'originate' | 'hangup' | 'createBridge' | 'addToBridge' | 'removeFromBridge' | 'destroyBridge'
  > {
  snoop(request: SnoopRequest): Promise<void>;
  divert(role: string, listener: TelephonyListener): void;
  claim(role: string, id: string): void;
  /** Forgets a claimed id (its channel ended, its bridge was destroyed). */
  release(id: string): void;
}
