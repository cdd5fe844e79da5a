import type { CallerStep } from './callers.ts';
import type { EndpointSettings } from './endpoints.ts';

/**
 * The compact form of ARI events used by the trace fixtures and the replay tests: the event
 * types a Stasis app (without subscribeAll) relies on, with only the fields that matter and
 * channel ids replaced by roles (`caller` for the inbound call, the app-chosen id otherwise).
 */
export interface CompactEvent {
  type: string;
  channel?: string;
  state?: string;
  cause?: number;
  cause_txt?: string;
  tech_cause?: number;
  soft?: boolean;
  dialstatus?: string;
  dialstring?: string;
  playback?: { id: string; media_uri: string; state: string };
  digit?: string;
  duration_ms?: number;
  bridge?: { id: string; technology: string; bridge_type: string; channels: string[] };
  args?: string[];
  callerNumber?: string;
  exten?: string;
}

/** Event types compared; noise (ChannelVarset, ChannelDialplan, DeviceStateChanged...) is not. */
export const comparedEventTypes: ReadonlySet<string> = new Set([
  'StasisStart',
  'StasisEnd',
  'ChannelCreated',
  'ChannelStateChange',
  'ChannelHangupRequest',
  'ChannelDestroyed',
  'ChannelDtmfReceived',
  'ChannelEnteredBridge',
  'ChannelLeftBridge',
  'ChannelHold',
  'ChannelUnhold',
  'PlaybackStarted',
  'PlaybackContinuing',
  'PlaybackFinished',
  'Dial',
]);

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * Compacts one raw event, or returns undefined when it is not compared. `role` maps channel
 * ids; ChannelCreated counts only for outbound channels (an app without subscribeAll never sees
 * it for an inbound call, whose first event is StasisStart).
 */
export function compactEvent(raw: Json, role: (channelId: string) => string): CompactEvent | undefined {
  const type = str(raw.type);
  if (!type || !comparedEventTypes.has(type)) return undefined;
  const out: CompactEvent = { type };
  const channel = (raw.channel ?? raw.peer) as Json | undefined;
  if (channel && typeof channel.id === 'string') {
    out.channel = role(channel.id);
    out.state = str(channel.state);
  }
  if (type === 'ChannelCreated' && out.channel === 'caller') return undefined;
  for (const key of ['cause', 'tech_cause', 'duration_ms'] as const) {
    const v = num(raw[key]);
    if (v !== undefined) out[key] = v;
  }
  for (const key of ['cause_txt', 'dialstatus', 'dialstring', 'digit'] as const) {
    const v = str(raw[key]);
    if (v !== undefined) out[key] = v;
  }
  if (typeof raw.soft === 'boolean') out.soft = raw.soft;
  if (Array.isArray(raw.args)) out.args = raw.args.map(String);
  const playback = raw.playback as Json | undefined;
  if (playback) {
    out.playback = {
      id: str(playback.id) ?? '',
      media_uri: str(playback.media_uri) ?? '',
      state: str(playback.state) ?? '',
    };
  }
  const bridge = raw.bridge as Json | undefined;
  if (bridge) {
    out.bridge = {
      id: str(bridge.id) ?? '',
      technology: str(bridge.technology) ?? '',
      bridge_type: str(bridge.bridge_type) ?? '',
      channels: Array.isArray(bridge.channels) ? bridge.channels.map((c) => role(String(c))) : [],
    };
  }
  if (type === 'StasisStart' && channel) {
    const caller = channel.caller as Json | undefined;
    const dialplan = channel.dialplan as Json | undefined;
    if (out.channel === 'caller') out.callerNumber = str(caller?.number);
    out.exten = str(dialplan?.exten);
  }
  return out;
}

/** The parts of a REST response body the fixtures keep. */
export function compactResponse(body: unknown, role: (id: string) => string): Json | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Json;
  if (typeof b.technology === 'string' && Array.isArray(b.channels)) {
    return { technology: b.technology, channels: b.channels.map((c) => role(String(c))) };
  }
  if (typeof b.state === 'string') return { state: b.state };
  if (typeof b.message === 'string') return { message: b.message };
  return undefined;
}

/** One recorded request, as kept in a fixture. */
export interface FixtureRest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  afterEvents: number;
  response?: Record<string, unknown>;
}

/** A derived trace fixture (test/fixtures/ari-traces/*.json). */
export interface TraceFixture {
  scenario: string;
  description: string;
  source: string;
  stableAcrossRuns: boolean | null;
  app: string;
  world: {
    caller: { dialed: string; callerNumber: string; callerName: string; script: CallerStep[] };
    endpoints: Record<string, EndpointSettings>;
    promptDurations: Record<string, number>;
  };
  rest: FixtureRest[];
  events: CompactEvent[];
}
