import ari, { type AriEvent, type Client } from 'ari-client';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.ts';
import type { AttemptClaims } from '../attempt-claims.ts';
import {
  type DialplanTarget,
  type OriginateRequest,
  type OwnedResources,
  type PbxListing,
  TelephonyError,
  type TelephonyEvent,
  type TelephonyListener,
  type TelephonyLoad,
  type TelephonyPort,
} from '../port.ts';
import { SIP_CALL_ID_VARIABLE } from '../sip-call-id.ts';
import { MONITOR_ROLE, type SnoopPort, type SnoopRequest } from '../snoop-port.ts';
import { AriAdmissionGate } from './admission-gate.ts';
import { readAriEvent, sipCallIdSchema, type UsedAriEvent } from './ari-events.ts';
import { type AttemptCounts, AttemptGate } from './attempt-gate.ts';
import { FirstAudioWaits, LaneWaitEstimate } from './first-audio.ts';
import { RecentIds } from './recent-ids.ts';
import { AriRestClient } from './rest-client.ts';

export interface AriAdapterOptions {
  /** e.g. http://127.0.0.1:8088 (with or without /ari) */
  url: string;
  user: string;
  password: string;
  /** Stasis app names; calls are spread over them by the dialplan (one Asterisk event thread each). */
  apps: string[];
  /** Most REST connections to Asterisk at once (its http.conf sessionlimit is 100 by default). */
  maxRestConnections?: number;
  restTimeoutMs?: number;
  /** Idle pooled REST connections are closed after this (below Asterisk's session_keep_alive). */
  restIdleSocketMs?: number;
  /** Delay before trying again after ari-client gave up reconnecting. */
  restartDelayMs?: number;
  /** Time limit of one attempt at ARI's API discovery at start (wall clock; default 15 s). */
  discoveryTimeoutMs?: number;
  logger: Logger;
  clock: Clock;
  /**
   * The claims on carrier calls (several nodes behind the SIP edge): a channel that entered with
   * the carrier's SIP Call-ID (channel variable HOTLINE_SIP_CALL_ID, set by the dialplan) reaches
   * the engine only as the one channel of its call that is served (see AttemptGate).
   */
  attemptClaims?: AttemptClaims;
}

/** Only the events the engine uses; Asterisk drops the rest before they cost its event thread. */
export const EVENTS_USED = [
  'StasisStart',
  'StasisEnd',
  'ChannelHangupRequest',
  'ChannelDestroyed',
  'ChannelDtmfReceived',
  'PlaybackFinished',
  'EndpointStateChange',
  'ApplicationReplaced',
];

interface AriChannel {
  id: string;
  state: string;
  caller?: { number?: string; name?: string };
  dialplan?: { exten?: string; app_name?: string; app_data?: string };
  channelvars?: Record<string, unknown>;
}

/** A listed channel's carrier SIP Call-ID (ari.conf channelvars), when the dialplan set a valid one. */
function listedSipCallId(ch: AriChannel): string | undefined {
  const read = sipCallIdSchema.safeParse(ch.channelvars?.[SIP_CALL_ID_VARIABLE]);
  return read.success && read.data !== '' ? read.data : undefined;
}

/** The Stasis arguments of a channel in an app (`Stasis(app,arg1,…)`), from its dialplan location. */
function stasisArgs(ch: AriChannel): string[] {
  if (ch.dialplan?.app_name !== 'Stasis') return [];
  return (ch.dialplan.app_data ?? '').split(',').slice(1);
}

/** ARI refused the configured user or password: retrying cannot help. */
export class AriLoginError extends Error {
  readonly code = 'ari-login-refused';
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(
      `ARI at ${url} refused the user or password (${status}): check ARI_USER, ARI_PASSWORD and ari.conf`,
    );
  }
}

/**
 * The ARI adapter: ari-client holds the WebSocket (API discovery, events, reconnect with
 * backoff); REST goes through a bounded keep-alive pool that reports real HTTP status codes.
 * This is the only module that imports ari-client.
 */
export class AriAdapter implements TelephonyPort, SnoopPort {
  private client?: Client;
  private readonly rest: AriRestClient;
  private readonly gate: AriAdmissionGate;
  private listener?: TelephonyListener;
  private connectedOnce = false;
  private downSince?: number;
  private stopped = false;
  private restartTimer?: TimerHandle;
  /** Between ari-client giving up and the restart timer firing (nothing reconnects meanwhile). */
  private restartPending = false;
  /** Frames read on the current event WebSocket. */
  private framesRead = 0;
  reconnects = 0;
  /** Frames dropped: unreadable, or events the engine uses that failed their schema. */
  eventsRejected = 0;
  /** Channels recently destroyed, oldest first (a StasisStart for one of them is refused). */
  private readonly destroyed = new RecentIds(10_000);
  /** Channels whose end the engine was told (by StasisEnd or ChannelDestroyed): it is told once. */
  private readonly ended = new RecentIds(10_000);
  /** Channels asked to hang up, with the Q.850 cause of the request (undefined: none given, a BYE). */
  private readonly hangupRequests = new RecentMap<number | undefined>(10_000);
  /** Channels the engine hung up itself, with the cause of the reason it gave. */
  private readonly hungUp = new RecentMap<number>(10_000);
  /** Listeners that take the events of their role's channels from the engine (see SnoopPort). */
  private readonly diverted = new Map<string, TelephonyListener>();
  /** Channel and bridge ids claimed for a diverted role → the role. */
  private readonly claimed = new Map<string, string>();
  /** Lets one node's channel of each carrier call through (when claims are given). */
  private readonly attempts: AttemptGate | undefined;

  constructor(private readonly options: AriAdapterOptions) {
    const base = options.url.replace(/\/$/, '').replace(/\/ari$/, '');
    this.rest = new AriRestClient({
      baseUrl: `${base}/ari`,
      user: options.user,
      password: options.password,
      maxConnections: options.maxRestConnections ?? 32,
      timeoutMs: options.restTimeoutMs ?? 10_000,
      ...(options.restIdleSocketMs !== undefined ? { idleSocketMs: options.restIdleSocketMs } : {}),
    });
    this.gate = new AriAdmissionGate(this.rest, options.apps, options.logger);
    const claims = options.attemptClaims;
    this.attempts = claims
      ? new AttemptGate({
          claims,
          hangup: (id) => this.hangup(id, 'normal'),
          deliver: (event) => this.deliver(event),
          clock: options.clock,
          logger: options.logger,
        })
      : undefined;
  }

  /** Channels of carrier calls refused, served, or gone before they answered (several nodes). */
  get attemptCounts(): AttemptCounts | undefined {
    return this.attempts?.counts;
  }

  /** Closes (a shed reason) or opens ('') the dialplan's admission gate of this engine's apps. */
  setAdmissionGate(reason: string): Promise<void> {
    return this.gate.set(reason);
  }

  get restInFlight(): number {
    return this.rest.inFlight;
  }

  /** Event lateness (see `load`): the largest since the last read, and the smallest of two windows. */
  private readonly lateness = {
    max: Number.NEGATIVE_INFINITY,
    floor: Number.POSITIVE_INFINITY,
    prevFloor: Number.POSITIVE_INFINITY,
  };
  private floorSince = performance.now();
  private read503 = 0;

  /**
   * The PBX side's load for admission control: REST requests in flight, 503 answers since the
   * last read, the slowest first audio of a new caller since the last read, and how late events
   * came vs their Asterisk timestamp. Lateness is measured over
   * the smallest delay of the last 30 to 60 s (the hosts' clocks may differ), in wall ms (a
   * virtual clock of a load run counts `speed` ms per wall ms).
   */
  load(): TelephonyLoad {
    const l = this.lateness;
    const floor = Math.min(l.floor, l.prevFloor);
    const eventLateMs = Number.isFinite(floor) ? Math.max(0, l.max - floor) : 0;
    l.max = Number.NEGATIVE_INFINITY;
    if (performance.now() - this.floorSince > 30_000) {
      l.prevFloor = l.floor;
      l.floor = Number.POSITIVE_INFINITY;
      this.floorSince = performance.now();
    }
    const rest503 = this.rest.unavailable - this.read503;
    this.read503 = this.rest.unavailable;
    const now = performance.now();
    const expected = this.urgentLane.read(now, this.rest.completed, this.rest.urgentWaiting);
    const firstAudioMs = Math.max(this.firstAudio.read(now), expected);
    return { restInFlight: this.rest.inFlight, rest503, eventLateMs: Math.round(eventLateMs), firstAudioMs };
  }

  /** Notes how late an event arrived (its Asterisk `timestamp` vs now). */
  private noteLateness(timestamp: unknown): void {
    if (typeof timestamp !== 'string') return;
    const at = Date.parse(timestamp);
    if (!Number.isFinite(at)) return;
    const speed = (this.options.clock as { speed?: number }).speed ?? 1;
    const late = (this.options.clock.now() - at) / speed;
    const l = this.lateness;
    if (late > l.max) l.max = late;
    if (late < l.floor) l.floor = late;
  }

  /**
   * The event connection as tests driving time see it: whether its WebSocket is open, the frames
   * read on it, and whether a reconnection is under way that does not wait for a timer.
   */
  get eventWire(): { open: boolean; framesRead: number; reconnecting: boolean } {
    const ws = this.client?._ws as { readyState?: number; __guarded?: boolean } | undefined;
    const open = !this.stopped && ws?.readyState === 1 && ws.__guarded === true;
    return {
      open,
      framesRead: open ? this.framesRead : 0,
      reconnecting: !open && this.connectedOnce && !this.stopped && !this.restartPending,
    };
  }

  /** Whether the ARI event connection is up now. */
  get connected(): boolean {
    return this.connectedOnce && this.downSince === undefined && !this.stopped;
  }

  async start(listener: TelephonyListener): Promise<void> {
    this.listener = listener;
    const base = this.options.url.replace(/\/$/, '').replace(/\/ari$/, '');
    const client = await this.discover(base);
    this.client = client;
    client.on('*', (event: AriEvent) => this.onEvent(event));
    client.on('WebSocketConnected', () => this.onConnected());
    client.on('WebSocketReconnecting', () => this.onDown());
    client.on('WebSocketMaxRetries', () => this.onGaveUp());
    await client.start(this.options.apps);
    await this.configureApps();
  }

  /**
   * Reaches ARI before handing it to ari-client, whose API discovery (swagger-client 2) throws a
   * refused login out of a callback, where nothing can catch it, and never settles a request that
   * Node's global HTTP agent aborted after 5 s without data. So: `GET /asterisk/ping` through our
   * own REST pool first — a refused user or password is an `AriLoginError` at once, no answer is
   * retried with backoff (Asterisk may still be starting) — then the discovery, each attempt with
   * a time limit. The limits are on the wall clock: they bound I/O, not call time.
   */
  private async discover(base: string): Promise<Client> {
    const limitMs = this.options.discoveryTimeoutMs ?? 15_000;
    for (let attempt = 1; ; attempt++) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await this.rest.call('ping', 'GET', '/asterisk/ping');
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`API discovery: no answer within ${limitMs} ms`)),
            limitMs,
          );
          timer.unref?.();
        });
        return await Promise.race([ari.connect(base, this.options.user, this.options.password), timedOut]);
      } catch (err) {
        const status = err instanceof TelephonyError ? err.status : 0;
        if (status === 401 || status === 403) throw new AriLoginError(this.options.url, status);
        if (this.stopped) throw err;
        const waitMs = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
        this.options.logger.warn(
          { attempt, reason: (err as Error).message, retryInMs: waitMs },
          'ARI does not answer yet; trying again',
        );
        await new Promise((r) => setTimeout(r, waitMs).unref?.());
        if (this.stopped) throw err;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.restartTimer?.cancel();
    this.client?.removeAllListeners();
    this.client?.stop();
    this.rest.close();
  }

  /**
   * Keeps only the events used. The apps subscribe to nothing beyond what Stasis gives them (the
   * channels that enter them and the bridges they create): a subscription to `endpoint:PJSIP`
   * would forward every channel event of every call on the box again (each DTMF twice, ~6 more
   * events per call, even for calls the engine never routes). Softphone registration comes
   * through the presence port instead (AMI ContactStatus, or a low-rate endpoint poll). An
   * `endpoint:PJSIP` subscription left by an earlier version is removed.
   */
  private async configureApps(): Promise<void> {
    const allowed = EVENTS_USED.map((type) => ({ type }));
    void this.gate.reassert();
    await Promise.all(
      this.options.apps.map(async (app) => {
        const name = encodeURIComponent(app);
        await this.rest
          .call('eventFilter', 'PUT', `/applications/${name}/eventFilter`, undefined, { allowed })
          .catch((err: TelephonyError) =>
            this.options.logger.warn(
              { app, status: err.status },
              'event filter not accepted; all events will arrive',
            ),
          );
        const info = await this.rest
          .call<{ endpoint_ids?: string[] }>('getApplication', 'GET', `/applications/${name}`)
          .catch(() => undefined);
        const stale = (info?.endpoint_ids ?? []).filter((id) => !id.includes('/'));
        for (const tech of stale) {
          await this.rest
            .call('unsubscribe', 'DELETE', `/applications/${name}/subscription`, {
              eventSource: `endpoint:${tech}`,
            })
            .then(
              () =>
                this.options.logger.warn({ app, tech }, 'removed a whole-technology endpoint subscription'),
              () => undefined,
            );
        }
      }),
    );
  }

  private onConnected(): void {
    this.guardSocket();
    if (!this.connectedOnce) {
      this.connectedOnce = true;
      this.options.logger.info({ apps: this.options.apps }, 'ARI connected');
      return;
    }
    const outageMs = this.downSince === undefined ? 0 : this.options.clock.now() - this.downSince;
    this.downSince = undefined;
    this.reconnects++;
    this.options.logger.warn({ outageMs, reconnects: this.reconnects }, 'ARI reconnected; resynchronising');
    void this.configureApps().then(() => this.listener?.({ kind: 'reconnected', outageMs }));
  }

  private onDown(): void {
    if (this.downSince !== undefined || this.stopped) return;
    this.downSince = this.options.clock.now();
    this.options.logger.error('ARI event connection lost; reconnecting');
    this.listener?.({ kind: 'disconnected' });
  }

  /** ari-client stops after its retries: keep trying, a call center cannot stay disconnected. */
  private onGaveUp(): void {
    if (this.stopped) return;
    this.onDown();
    this.restartPending = true;
    this.restartTimer = this.options.clock.after(this.options.restartDelayMs ?? 2_000, () => {
      this.restartPending = false;
      this.client?.start(this.options.apps).catch(() => this.onGaveUp());
    });
  }

  /**
   * ari-client parses WebSocket messages unguarded, and throws on frames that are not JSON, on
   * event types its API description lacks and on some wrongly typed fields: a bad frame must not
   * take the engine down. It is dropped with a warning naming what was wrong.
   */
  private guardSocket(): void {
    const ws = this.client?._ws;
    if (!ws || (ws as unknown as { __guarded?: boolean }).__guarded) return;
    (ws as unknown as { __guarded?: boolean }).__guarded = true;
    this.framesRead = 0;
    const handlers = ws.listeners('message') as ((...a: unknown[]) => void)[];
    ws.removeAllListeners('message');
    for (const h of handlers) {
      ws.on('message', (...args: unknown[]) => {
        this.framesRead++;
        try {
          h(...args);
        } catch (err) {
          this.unreadable(args[0], err);
        }
      });
    }
  }

  /** Says why ari-client could not read a frame, without logging its content. */
  private unreadable(frame: unknown, err: unknown): void {
    this.eventsRejected++;
    const text = typeof frame === 'string' ? frame : Buffer.isBuffer(frame) ? frame.toString('utf8') : '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.options.logger.warn({ bytes: Buffer.byteLength(text) }, 'ARI event dropped: not JSON');
      return;
    }
    const reading = readAriEvent(parsed);
    if (reading.kind === 'rejected') {
      this.rejected(parsed, reading.field, reading.problem);
      return;
    }
    const type = String((parsed as { type: string }).type).slice(0, 80);
    this.options.logger.warn(
      { event: type, err: String((err as Error)?.message).slice(0, 200) },
      'ARI event dropped: ari-client could not read it (unknown type or malformed resource)',
    );
  }

  private rejected(e: unknown, field: string, problem: string): void {
    const type = (e as { type?: unknown } | null)?.type;
    this.options.logger.warn(
      { event: typeof type === 'string' ? type.slice(0, 80) : undefined, field, problem },
      'ARI event rejected',
    );
  }

  private onEvent(raw: AriEvent): void {
    const emit = this.listener;
    if (!emit) return;
    this.noteLateness((raw as { timestamp?: unknown }).timestamp);
    const reading = readAriEvent(raw);
    if (reading.kind === 'unused') return;
    if (reading.kind === 'rejected') {
      this.eventsRejected++;
      this.rejected(raw, reading.field, reading.problem);
      return;
    }
    const e = reading.event;
    if (e.type === 'ChannelHangupRequest') {
      this.noteHangupRequest(e.channel.id, e.cause, e.soft === true);
      return;
    }
    if (e.type === 'ChannelDestroyed') {
      this.destroyed.add(e.channel.id);
      this.hangupRequests.delete(e.channel.id);
      this.hungUp.delete(e.channel.id);
      // Seen to end at its StasisEnd already (a channel the app is still subscribed to: originated).
      if (this.ended.has(e.channel.id)) return;
      this.ended.add(e.channel.id);
    } else if (e.type === 'StasisEnd') {
      if (this.ended.has(e.channel.id)) return;
      this.ended.add(e.channel.id);
      if (this.hangupRequests.has(e.channel.id) || this.hungUp.has(e.channel.id))
        this.destroyed.add(e.channel.id);
    } else if (e.type === 'StasisStart' && this.destroyed.has(e.channel.id)) {
      // Channel ids are never reused: this is a replay, and would start the call a second time.
      this.eventsRejected++;
      this.rejected(raw, 'channel.id', 'the channel was destroyed already');
      return;
    }
    if (reading.leftOut.length > 0)
      this.options.logger.warn({ event: e.type, fields: reading.leftOut }, 'ARI event fields ignored');
    const event = this.toPortEvent(e);
    if (!event) return;
    if (this.attempts) {
      if (this.attempts.intercept(event)) return;
      const sipCallId = e.type === 'StasisStart' ? e.channel.channelvars?.[SIP_CALL_ID_VARIABLE] : undefined;
      if (sipCallId && event.kind === 'channel-entered' && !this.diverted.has(event.args[0] ?? '')) {
        this.attempts.enter(event, sipCallId);
        return;
      }
    }
    this.deliver(event);
  }

  private deliver(event: TelephonyEvent): void {
    const emit = this.listener;
    if (!emit) return;
    try {
      (this.divertedTo(event) ?? emit)(event);
    } catch (err) {
      this.options.logger.error(
        { event: event.kind, err: (err as Error).message },
        'the engine failed on an ARI event',
      );
    }
  }

  private toPortEvent(e: UsedAriEvent): TelephonyEvent | undefined {
    switch (e.type) {
      case 'StasisStart': {
        const ch = e.channel;
        const args = e.args ?? [];
        if (args[0] !== 'agent' && args[0] !== 'target' && !this.diverted.has(args[0] ?? ''))
          this.firstAudio.arrived(ch.id, performance.now());
        return {
          kind: 'channel-entered',
          app: e.application ?? this.options.apps[0] ?? '',
          channelId: ch.id,
          args,
          dialed: args[0] && /^[0-9]+$/.test(args[0]) ? args[0] : (ch.dialplan?.exten ?? ''),
          callerNumber: ch.caller?.number ?? '',
          callerName: ch.caller?.name ?? '',
          state: ch.state ?? '',
        };
      }
      case 'ChannelDestroyed':
        this.firstAudio.gone(e.channel.id);
        return {
          kind: 'channel-ended',
          channelId: e.channel.id,
          cause: e.cause ?? 0,
          causeText: e.cause_txt ?? '',
        };
      case 'StasisEnd':
        return this.leftStasis(e.channel.id);
      case 'ChannelHangupRequest':
        return undefined;
      case 'ChannelDtmfReceived':
        return { kind: 'dtmf', channelId: e.channel.id, digit: e.digit };
      case 'PlaybackFinished':
        return {
          kind: 'playback-finished',
          playbackId: e.playback.id,
          failed: e.playback.state === 'failed',
        };
      case 'EndpointStateChange':
        return {
          kind: 'endpoint-state',
          endpoint: `${e.endpoint.technology}/${e.endpoint.resource}`,
          online: e.endpoint.state === 'online',
        };
      case 'ApplicationReplaced':
        this.options.logger.error({ app: e.application }, 'another connection took over this Stasis app');
        return undefined;
    }
  }

  /**
   * A hangup request of a channel. A `soft` one's `cause` is Asterisk's soft-hangup flag, not a
   * Q.850 cause (ast_softhangup: 32 is AST_SOFTHANGUP_EXPLICIT, ARI's DELETE); the far end's BYE
   * comes without a cause; a Q.850 cause queued otherwise (a failure such as 17 with tech_cause
   * 486, a media timeout) is kept.
   */
  private noteHangupRequest(channelId: string, cause: number | undefined, soft: boolean): void {
    if (this.ended.has(channelId)) return;
    const known = this.hangupRequests.get(channelId);
    if (known !== undefined) return;
    this.hangupRequests.set(channelId, soft ? undefined : cause);
  }

  /**
   * A channel left the app (StasisEnd): for the engine it has ended. On Asterisk 22 the app's
   * interest in a channel that entered through the dialplan ends with its StasisEnd: no
   * ChannelDestroyed follows unless the app is subscribed to it otherwise (a channel it originated
   * is; the caller's is not). The cause is the one the engine gave when it hung the channel up,
   * else the one of the hangup request that preceded the StasisEnd, else Normal Clearing for a
   * hangup without a cause (the far end's BYE); 0 when the channel left Stasis without a hangup.
   */
  private leftStasis(channelId: string): TelephonyEvent {
    this.firstAudio.gone(channelId);
    const own = this.hungUp.get(channelId);
    const requested = this.hangupRequests.has(channelId);
    const requestCause = this.hangupRequests.get(channelId);
    this.hungUp.delete(channelId);
    this.hangupRequests.delete(channelId);
    const cause = own ?? requestCause ?? (requested ? 16 : 0);
    return {
      kind: 'channel-ended',
      channelId,
      cause,
      causeText: requested || own !== undefined ? (CAUSE_TEXT[cause] ?? '') : 'left Stasis',
    };
  }

  /** New callers' waits for first audio, for admission control (see first-audio.ts). */
  private readonly firstAudio = new FirstAudioWaits();
  /** The wait a caller arriving now can expect on the urgent lane (see first-audio.ts). */
  private readonly urgentLane = new LaneWaitEstimate(performance.now());

  private heard(channelIds: readonly string[]): void {
    this.firstAudio.heard(channelIds, performance.now());
  }

  /** Channels answered whose first prompt has not been asked for yet (it is urgent: see CallOptions). */
  private readonly firstPrompt = new RecentIds(10_000);

  async answer(channelId: string): Promise<void> {
    this.firstPrompt.add(channelId);
    await this.rest.call('answer', 'POST', `/channels/${channelId}/answer`, undefined, undefined, {
      idempotent: true,
      urgent: true,
    });
    this.attempts?.answered(channelId);
  }

  async play(channelId: string, playbackId: string, media: string): Promise<void> {
    const urgent = this.firstPrompt.has(channelId);
    if (urgent) this.firstPrompt.delete(channelId);
    await this.rest.call('play', 'POST', `/channels/${channelId}/play/${playbackId}`, { media }, undefined, {
      urgent,
    });
    this.heard([channelId]);
  }

  async continueInDialplan(channelId: string, to: DialplanTarget): Promise<void> {
    // The node keeps the call (the safety net answers it): no other node's channel of it is
    // served. Marked first: the channel's StasisEnd may come before the answer to the request,
    // and the end of a channel never answered would let its claim go.
    this.attempts?.answered(channelId);
    // Ahead of every other request: the caller hears nothing until the safety net has the call,
    // and a shed call handed over is load taken off the engine.
    await this.rest.call(
      'continueInDialplan',
      'POST',
      `/channels/${channelId}/continue`,
      { context: to.context, extension: to.extension, priority: to.priority, label: to.label },
      undefined,
      { urgent: true, front: true },
    );
    this.heard([channelId]);
  }

  async stopPlayback(playbackId: string): Promise<void> {
    await this.rest.call('stopPlayback', 'DELETE', `/playbacks/${playbackId}`);
  }

  async hangup(channelId: string, reason: 'normal' | 'busy' | 'no_answer'): Promise<void> {
    if (!this.ended.has(channelId)) this.hungUp.set(channelId, REASON_CAUSE[reason]);
    await this.rest.call('hangup', 'DELETE', `/channels/${channelId}`, { reason });
  }

  async originate(r: OriginateRequest): Promise<void> {
    const name = r.callerId.name.replace(/"/g, '');
    await this.rest.call(
      'originate',
      'POST',
      `/channels/${r.channelId}`,
      {
        endpoint: r.endpoint,
        app: r.app,
        appArgs: r.appArgs,
        callerId: `"${name}" <${r.callerId.number}>`,
        timeout: r.timeoutSeconds,
      },
      { variables: r.variables },
    );
  }

  /** A snoop channel on `channelId`, entering `app` with `appArgs` (its StasisStart follows). */
  async snoop(r: SnoopRequest): Promise<void> {
    await this.rest.call('snoop', 'POST', `/channels/${r.channelId}/snoop/${r.snoopId}`, {
      spy: r.spy,
      whisper: r.whisper,
      app: r.app,
      appArgs: r.appArgs,
    });
  }

  divert(role: string, listener: TelephonyListener): void {
    this.diverted.set(role, listener);
  }

  claim(role: string, id: string): void {
    this.claimed.set(id, role);
  }

  release(id: string): void {
    this.claimed.delete(id);
  }

  async strays(role: string): Promise<string[]> {
    const all = await this.rest.call<AriChannel[]>('listChannels', 'GET', '/channels');
    const apps = new Set(this.options.apps);
    return all
      .filter((ch) => {
        const app = (ch.dialplan?.app_data ?? '').split(',')[0] ?? '';
        return apps.has(app) && stasisArgs(ch)[0] === role && !this.claimed.has(ch.id);
      })
      .map((ch) => ch.id);
  }

  /** The diverted listener an event goes to instead of the engine, if any (see SnoopPort). */
  private divertedTo(e: TelephonyEvent): TelephonyListener | undefined {
    if (this.diverted.size === 0) return undefined;
    if (e.kind === 'channel-entered') {
      const first = e.args[0] ?? '';
      const role = this.claimed.get(e.channelId) ?? (this.diverted.has(first) ? first : undefined);
      if (role === undefined) return undefined;
      this.claimed.set(e.channelId, role);
      return this.diverted.get(role);
    }
    if (e.kind !== 'channel-ended' && e.kind !== 'dtmf') return undefined;
    const role = this.claimed.get(e.channelId);
    if (role === undefined) return undefined;
    if (e.kind === 'channel-ended') this.claimed.delete(e.channelId);
    return this.diverted.get(role);
  }

  async createBridge(bridgeId: string): Promise<void> {
    // Creating a bridge with the engine's id twice leaves one bridge: safe to repeat. Urgent: a
    // caller waits on it to hear music on hold, an agent or a target (one per call).
    await this.rest.call('createBridge', 'POST', `/bridges/${bridgeId}`, { type: 'mixing' }, undefined, {
      idempotent: true,
      urgent: true,
    });
  }

  async addToBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    // Urgent when it is a new caller's first audio (a line with no greeting: straight to music).
    const urgent = channelIds.some((id) => this.firstAudio.waits(id));
    await this.rest.call(
      'addChannel',
      'POST',
      `/bridges/${bridgeId}/addChannel`,
      { channel: channelIds.join(',') },
      undefined,
      { urgent },
    );
    this.heard(channelIds);
  }

  async removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    await this.rest.call('removeChannel', 'POST', `/bridges/${bridgeId}/removeChannel`, {
      channel: channelIds.join(','),
    });
  }

  async setBridgeMoh(bridgeId: string, on: boolean): Promise<void> {
    await this.rest.call(
      'bridgeMoh',
      on ? 'POST' : 'DELETE',
      `/bridges/${bridgeId}/moh`,
      undefined,
      undefined,
      {
        idempotent: true,
      },
    );
  }

  async destroyBridge(bridgeId: string): Promise<void> {
    await this.rest.call('destroyBridge', 'DELETE', `/bridges/${bridgeId}`);
  }

  async recordBridge(bridgeId: string, name: string): Promise<void> {
    // Until the bridge goes (no length or silence limit); a name already taken is refused (409).
    await this.rest.call('recordBridge', 'POST', `/bridges/${bridgeId}/record`, {
      name,
      format: 'wav',
      maxDurationSeconds: 0,
      maxSilenceSeconds: 0,
      ifExists: 'fail',
      beep: 'false',
      terminateOn: 'none',
    });
  }

  async channelMoh(channelId: string, on: boolean): Promise<void> {
    // No class named: musiconhold.conf's `default`, the one the waiting callers hear.
    const method = on ? 'POST' : 'DELETE';
    await this.rest.call('channelMoh', method, `/channels/${channelId}/moh`, undefined, undefined, {
      idempotent: true,
    });
  }

  async muteChannel(channelId: string, direction: 'in' | 'out' | 'both', on: boolean): Promise<void> {
    const method = on ? 'POST' : 'DELETE';
    await this.rest.call('muteChannel', method, `/channels/${channelId}/mute`, { direction }, undefined, {
      idempotent: true,
    });
  }

  async playbackExists(playbackId: string): Promise<boolean> {
    try {
      await this.rest.call('getPlayback', 'GET', `/playbacks/${playbackId}`);
      return true;
    } catch (err) {
      if (err instanceof TelephonyError && err.status === 404) return false;
      throw err;
    }
  }

  async channelExists(channelId: string): Promise<boolean> {
    try {
      await this.rest.call('getChannel', 'GET', `/channels/${channelId}`);
      return true;
    } catch (err) {
      if (err instanceof TelephonyError && err.status === 404) return false;
      throw err;
    }
  }

  /** Every channel and bridge Asterisk holds now (both listings asked at once). */
  async listAll(): Promise<PbxListing> {
    const [channels, bridges] = await Promise.all([
      this.rest.call<{ id: string; state?: string }[]>('listChannels', 'GET', '/channels'),
      this.rest.call<{ id: string; bridge_class?: string; channels?: string[] }[]>(
        'listBridges',
        'GET',
        '/bridges',
      ),
    ]);
    return {
      channels: channels.map((c) => ({ id: c.id, state: c.state ?? '' })),
      bridges: bridges.map((b) => ({ id: b.id, channels: b.channels ?? [] })),
    };
  }

  /** The state of every endpoint of a technology (one request; the presence poll's source). */
  async listEndpoints(tech: string): Promise<{ endpoint: string; online: boolean }[]> {
    try {
      const list = await this.rest.call<{ technology: string; resource: string; state?: string }[]>(
        'listEndpoints',
        'GET',
        `/endpoints/${encodeURIComponent(tech)}`,
      );
      return list.map((e) => ({ endpoint: `${e.technology}/${e.resource}`, online: e.state !== 'offline' }));
    } catch (err) {
      if (err instanceof TelephonyError && err.status === 404) return [];
      throw err;
    }
  }

  async endpointInUse(endpoint: string): Promise<boolean> {
    const slash = endpoint.indexOf('/');
    if (slash <= 0) return false;
    try {
      const e = await this.rest.call<{ channel_ids?: string[] }>(
        'getEndpoint',
        'GET',
        `/endpoints/${encodeURIComponent(endpoint.slice(0, slash))}/${encodeURIComponent(endpoint.slice(slash + 1))}`,
      );
      return (e.channel_ids ?? []).length > 0;
    } catch (err) {
      if (err instanceof TelephonyError && err.status === 404) return false;
      throw err;
    }
  }

  /** REST counters: requests, retries after a broken connection, failures without an answer. */
  get restStats(): { requests: number; retries: number; transportFailures: number } {
    return {
      requests: this.rest.requests,
      retries: this.rest.retries,
      transportFailures: this.rest.transportFailures,
    };
  }

  admit(event: Extract<TelephonyEvent, { kind: 'channel-entered' }>, sipCallId: string): void {
    if (this.attempts) this.attempts.enter(event, sipCallId);
    else this.deliver(event);
  }

  async owned(ours?: (bridgeId: string) => boolean): Promise<OwnedResources> {
    const out: OwnedResources = { channels: [], bridges: [] };
    for (const app of this.options.apps) {
      const info = await this.rest.call<{ channel_ids: string[]; bridge_ids: string[] }>(
        'getApplication',
        'GET',
        `/applications/${encodeURIComponent(app)}`,
      );
      // A diverted role's channels and bridges are not the engine's (see SnoopPort).
      out.bridges.push(...info.bridge_ids.filter((id) => !this.claimed.has(id)));
      for (const id of info.channel_ids) {
        if (this.claimed.has(id)) continue;
        // Held on its carrier call's claim, or refused: the attempt gate's, not a missed call.
        if (this.attempts?.withholds(id)) continue;
        try {
          const ch = await this.rest.call<AriChannel>('getChannel', 'GET', `/channels/${id}`);
          // Supervisor monitoring's channels are never callers (left by an earlier run: see strays).
          if (stasisArgs(ch)[0] === MONITOR_ROLE) continue;
          const sipCallId = this.attempts ? listedSipCallId(ch) : undefined;
          out.channels.push({
            id,
            app,
            dialed: ch.dialplan?.exten ?? '',
            callerNumber: ch.caller?.number ?? '',
            callerName: ch.caller?.name ?? '',
            state: ch.state,
            ...(sipCallId ? { sipCallId } : {}),
          });
        } catch (err) {
          if (!(err instanceof TelephonyError && err.status === 404)) throw err;
        }
      }
    }
    // An empty bridge is listed by no app: the caller tells which Stasis bridges are its own.
    if (!ours) return out;
    const all = await this.rest.call<{ id: string; bridge_class?: string }[]>(
      'listBridges',
      'GET',
      '/bridges',
    );
    for (const b of all) {
      if (b.bridge_class === 'stasis' && ours(b.id) && !out.bridges.includes(b.id) && !this.claimed.has(b.id))
        out.bridges.push(b.id);
    }
    return out;
  }
}

/** The Q.850 cause Asterisk gives a channel hung up through ARI with each reason. */
const REASON_CAUSE = { normal: 16, busy: 17, no_answer: 19 } as const;

/** Asterisk's names of the causes a channel that left Stasis may end with. */
const CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  27: 'Destination out of order',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  44: 'Requested channel not available',
  127: 'Interworking, unspecified',
};

/** A map of the last `capacity` ids set, oldest dropped first. */
class RecentMap<V> {
  private readonly values = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  set(id: string, value: V): void {
    this.values.delete(id);
    this.values.set(id, value);
    if (this.values.size > this.capacity) this.values.delete(this.values.keys().next().value as string);
  }

  has(id: string): boolean {
    return this.values.has(id);
  }

  get(id: string): V | undefined {
    return this.values.get(id);
  }

  delete(id: string): void {
    this.values.delete(id);
  }
}
