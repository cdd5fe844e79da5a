import type { TelephonyListener, TelephonyPort } from './port.ts';

/**
 * The first Stasis argument of supervisor monitoring's channels (the supervisor's leg and the
 * snoops): never a caller, whoever lists the app's channels.
 */
export const MONITOR_ROLE = 'monitor';

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
  /**
   * The apps' channels whose first Stasis argument is `role` and that nobody has claimed: left by
   * an earlier run of the engine (nothing of this run knows them).
   */
  strays(role: string): Promise<string[]>;
}
