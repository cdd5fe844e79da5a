/**
 * The telephony port: what the call engine asks of the PBX, and what the PBX tells it. The ARI
 * adapter (telephony/ari) is the only implementation that talks to Asterisk.
 */
export type TelephonyEvent =
  /** A channel entered the Stasis app: a new inbound call, or an originated channel that answered. */
  | {
      kind: 'channel-entered';
      app: string;
      channelId: string;
      args: string[];
      /** The dialed number (the Stasis argument, else the dialplan extension). */
      dialed: string;
      callerNumber: string;
      callerName: string;
      state: string;
    }
  | { kind: 'channel-ended'; channelId: string; cause: number; causeText: string }
  | { kind: 'dtmf'; channelId: string; digit: string }
  | { kind: 'playback-finished'; playbackId: string; failed: boolean }
  | { kind: 'endpoint-state'; endpoint: string; online: boolean }
  /**
   * The event connection came back after an outage: events were lost and the engine must
   * resynchronise (with several nodes: `node` is the one that came back).
   */
  | { kind: 'reconnected'; outageMs: number; node?: string }
  | { kind: 'disconnected' }
  /**
   * Several nodes: this Asterisk node stayed unreachable past NODE_LOST_SECONDS (dead): the calls
   * on it are lost with it.
   */
  | { kind: 'node-lost'; node: string };

export type TelephonyListener = (event: TelephonyEvent) => void;

/** Where in the dialplan a channel continues. */
export interface DialplanTarget {
  context: string;
  extension: string;
  priority: number;
  /** A priority label of the extension: wins over `priority` when given. */
  label?: string;
}

export interface OriginateRequest {
  app: string;
  channelId: string;
  endpoint: string;
  callerId: { name: string; number: string };
  timeoutSeconds: number;
  variables: Record<string, string>;
  appArgs: string;
}

export interface OwnedResources {
  /** Channels in the app, with what a new session needs to pick them up. */
  channels: {
    id: string;
    app: string;
    dialed: string;
    callerNumber: string;
    callerName: string;
    state: string;
    /**
     * The carrier's SIP Call-ID of a channel that came through the SIP edge (several nodes): one
     * node's channel of such a call is the engine's, so it is taken up through `admit`.
     */
    sipCallId?: string;
  }[];
  bridges: string[];
  /**
   * Several nodes: the nodes this listing covers (those reachable now). A call on another node is
   * not in it and must not be taken for gone. Absent: the one PBX, all of it.
   */
  nodes?: string[];
}

/** A softphone's registration as the PBX sees it: online when one of its contacts is usable. */
export interface PresenceChange {
  /** `PJSIP/agent1001` */
  endpoint: string;
  online: boolean;
}

/**
 * Where softphone registration comes from, at O(1) per change: AMI `ContactStatus` events (with
 * a snapshot at every (re)connection), or a low-rate poll of the endpoints' states. The listener
 * gets `full: true` batches (every endpoint the PBX knows) at start and after a reconnect, then
 * single changes.
 */
export interface PresencePort {
  start(listener: (changes: PresenceChange[], full: boolean) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Everything the PBX holds at one moment (for the periodic reconciliation). */
export interface PbxListing {
  channels: { id: string; state: string }[];
  bridges: { id: string; channels: string[] }[];
  /** Several nodes: the nodes listed (reachable now); absent: the one PBX, all of it. */
  nodes?: string[];
}

export interface TelephonyPort {
  start(listener: TelephonyListener): Promise<void>;
  stop(): Promise<void>;
  answer(channelId: string): Promise<void>;
  /** Plays one media item (e.g. `sound:hotline/welcome-12345`) with a playback id chosen by the engine. */
  play(channelId: string, playbackId: string, media: string): Promise<void>;
  stopPlayback(playbackId: string): Promise<void>;
  hangup(channelId: string, reason: 'normal' | 'busy' | 'no_answer'): Promise<void>;
  originate(request: OriginateRequest): Promise<void>;
  createBridge(bridgeId: string): Promise<void>;
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  setBridgeMoh(bridgeId: string, on: boolean): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  /**
   * Records a bridge (wav) under `name` until the bridge goes (ARI `POST /bridges/{id}/record`);
   * the file is then a stored recording of that name. Absent: the port cannot record.
   */
  recordBridge?(bridgeId: string, name: string): Promise<void>;
  /** Music on hold on one channel, the default class (ARI `POST`/`DELETE /channels/{id}/moh`). */
  channelMoh?(channelId: string, on: boolean): Promise<void>;
  /** Mutes or unmutes a channel's direction (ARI `POST`/`DELETE /channels/{id}/mute?direction=`). */
  muteChannel?(channelId: string, direction: 'in' | 'out' | 'both', on: boolean): Promise<void>;
  /**
   * What the apps own now (after a reconnect): their channels, the bridges they list, and the
   * empty Stasis bridges (listed by no app) that `ours` claims (the caller knows which bridges it
   * created; without `ours` no empty bridge is reported).
   */
  owned(ours?: (bridgeId: string) => boolean): Promise<OwnedResources>;
  /**
   * A listed channel with a carrier's SIP Call-ID that no call owns (its StasisStart was lost in
   * an outage): it goes through the same claim as a channel that entered (one node's channel of a
   * carrier call is served), and comes back through the listener as `channel-entered` if served.
   */
  admit?(event: Extract<TelephonyEvent, { kind: 'channel-entered' }>, sipCallId: string): void;
  playbackExists(playbackId: string): Promise<boolean>;
  /** Whether the PBX still has the channel (tells a race with a hang-up from a refusal). */
  channelExists(channelId: string): Promise<boolean>;
  /** Every channel and bridge the PBX holds now. */
  listAll(): Promise<PbxListing>;
  /** Whether the PBX has a channel on this endpoint now (the phone is on a call through it). */
  endpointInUse?(endpoint: string): Promise<boolean>;
  /**
   * Takes a channel out of the app into the dialplan at `to` (ARI `continue`; a `label` wins over
   * the priority): how admission control hands a new call to the dialplan's safety net. No channel
   * variable is set over ARI first: on Asterisk 22 that leaves the channel unable to run the
   * dangerous functions the safety net's note needs (FILE()), so the label says what to set.
   */
  continueInDialplan?(channelId: string, to: DialplanTarget): Promise<void>;
  /**
   * Closes (a shed reason) or opens ('') the dialplan's admission gate for this engine's apps, so
   * that while it sheds new calls go to the safety net without entering it (src/admission/gate.ts).
   * Idempotent; the port writes it again after reconnecting.
   */
  setAdmissionGate?(reason: string): Promise<void>;
  /** How the PBX side copes since the last call (admission control reads it once per sample). */
  load?(): TelephonyLoad;
  /**
   * Several nodes: the node a call, channel, bridge or playback id is on (ids name their node:
   * `<node>-…`, from Asterisk's `systemname`). Absent, or undefined for an id: the one PBX.
   */
  nodeOf?(id: string): string | undefined;
}

/** Whether a listing covers the node of an id (a listing without `nodes` covers everything). */
export function listingCovers(
  listing: { nodes?: string[] },
  port: Pick<TelephonyPort, 'nodeOf'>,
  id: string,
): boolean {
  if (!listing.nodes) return true;
  const node = port.nodeOf?.(id);
  return node === undefined || listing.nodes.includes(node);
}

/** The PBX side's health over one admission sample. */
export interface TelephonyLoad {
  /** REST requests sent or waiting for a connection, not yet answered, now. */
  restInFlight: number;
  /** REST answers 503 (Asterisk refusing work) since the last read. */
  rest503: number;
  /**
   * The slowest first audio since the last read (wall ms): from a new caller's StasisStart to the
   * PBX accepting the first thing they hear (prompt, bridge, or the hand-over to the safety net).
   */
  firstAudioMs?: number;
  /**
   * The latest an ARI event arrived vs its Asterisk timestamp since the last read (wall ms, over
   * the smallest delay seen lately: a clock offset between the hosts is not lateness).
   */
  eventLateMs: number;
}

/**
 * A REST request the PBX refused (`status` 404: the channel, bridge or playback is gone), or,
 * with `transport` set (status 0), one that got no answer at all: the connection broke or timed
 * out. A transport error is not the PBX's verdict on the request.
 */
export class TelephonyError extends Error {
  readonly code = 'telephony-error';
  /** True when the request got no answer from the PBX (connection reset, hang-up, timeout). */
  transport = false;
  constructor(
    readonly status: number,
    readonly operation: string,
    message: string,
  ) {
    super(`${operation}: ${status} ${message}`);
  }

  static transport(operation: string, message: string): TelephonyError {
    const err = new TelephonyError(0, operation, message);
    err.transport = true;
    return err;
  }
}
