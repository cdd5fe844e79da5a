import fc from 'fast-check';
import { eventModels } from '../../src/sim/api/models.ts';

/**
 * Forged ARI WebSocket frames for the fuzz tests: events shaped as Asterisk 22 sends them, then
 * bent (fields removed or replaced by odd values), about channels that are live, ended, never
 * seen or impossible; events of unknown types; frames that are not JSON at all.
 */

/** The caller number forged events carry: it must never reach the logs. */
export const FORGED_CALLER = '13912345678';
export const HUGE = 'x'.repeat(200_000);

const channelJson = (id: string) => ({
  id,
  name: 'PJSIP/carrier-000000ff',
  state: 'Up',
  protocol_id: '',
  caller: { name: 'Citizen', number: FORGED_CALLER },
  connected: { name: '', number: '' },
  accountcode: '',
  dialplan: {
    context: 'from-carrier',
    exten: '12345',
    priority: 2,
    app_name: 'Stasis',
    app_data: 'hotline,12345',
  },
  creationtime: '2026-11-24T06:17:54.779+0000',
  language: 'en',
  // ari.conf's channelvars (dialplan/ari.conf): set on a carrier's call, empty on other channels
  channelvars: { HOTLINE_SIP_CALL_ID: '' },
});

const bridgeJson = (id: string) => ({
  id,
  technology: 'simple_bridge',
  bridge_type: 'mixing',
  bridge_class: 'stasis',
  creator: 'Stasis',
  name: '',
  channels: [],
  video_mode: 'talker',
  creationtime: '2026-11-24T06:17:54.779+0000',
});

const playbackJson = (id: string, state: string) => ({
  id: `${id}-p9999`,
  media_uri: 'sound:hotline/welcome-12345',
  target_uri: `channel:${id}`,
  language: 'en',
  state,
});

const head = (type: string) => ({ type, timestamp: '2026-11-24T06:17:54.780+0000' });
const tail = { asterisk_id: '02:fc:00:00:00:01', application: 'hotline' };

/** Events about the channel (or endpoint resource) `id`, as Asterisk sends them. */
export const templates = {
  StasisStart: (id: string) => ({
    ...head('StasisStart'),
    args: ['12345'],
    channel: channelJson(id),
    ...tail,
  }),
  StasisEnd: (id: string) => ({ ...head('StasisEnd'), channel: channelJson(id), ...tail }),
  ChannelDestroyed: (id: string) => ({
    ...head('ChannelDestroyed'),
    cause: 16,
    cause_txt: 'Normal Clearing',
    channel: channelJson(id),
    ...tail,
  }),
  ChannelDtmfReceived: (id: string) => ({
    ...head('ChannelDtmfReceived'),
    digit: '5',
    duration_ms: 280,
    channel: channelJson(id),
    ...tail,
  }),
  ChannelHangupRequest: (id: string) => ({
    ...head('ChannelHangupRequest'),
    cause: 16,
    soft: true,
    channel: channelJson(id),
    ...tail,
  }),
  ChannelStateChange: (id: string) => ({ ...head('ChannelStateChange'), channel: channelJson(id), ...tail }),
  ChannelVarset: (id: string) => ({
    ...head('ChannelVarset'),
    variable: 'STASISSTATUS',
    value: 'SUCCESS',
    channel: channelJson(id),
    ...tail,
  }),
  PlaybackStarted: (id: string) => ({
    ...head('PlaybackStarted'),
    playback: playbackJson(id, 'playing'),
    ...tail,
  }),
  PlaybackFinished: (id: string) => ({
    ...head('PlaybackFinished'),
    playback: playbackJson(id, 'done'),
    ...tail,
  }),
  EndpointStateChange: (id: string) => ({
    ...head('EndpointStateChange'),
    endpoint: { technology: 'PJSIP', resource: id, state: 'offline', channel_ids: [] },
    ...tail,
  }),
  ApplicationReplaced: (_id: string) => ({ ...head('ApplicationReplaced'), ...tail }),
  BridgeDestroyed: (id: string) => ({ ...head('BridgeDestroyed'), bridge: bridgeJson(`${id}-b9`), ...tail }),
  ChannelEnteredBridge: (id: string) => ({
    ...head('ChannelEnteredBridge'),
    bridge: bridgeJson(`${id}-b9`),
    channel: channelJson(id),
    ...tail,
  }),
  Dial: (id: string) => ({
    ...head('Dial'),
    dialstatus: 'ANSWER',
    forward: '',
    dialstring: 'agent1',
    peer: channelJson(id),
    ...tail,
  }),
};
export type TemplateType = keyof typeof templates;
export const templateTypes = Object.keys(templates) as TemplateType[];

/** The event types the engine acts on, and the fields without which it must reject them. */
export const required = {
  StasisStart: ['channel', 'channel.id'],
  StasisEnd: ['channel', 'channel.id'],
  ChannelHangupRequest: ['channel', 'channel.id'],
  ChannelDestroyed: ['channel', 'channel.id'],
  ChannelDtmfReceived: ['channel', 'channel.id', 'digit'],
  PlaybackFinished: ['playback', 'playback.id'],
  EndpointStateChange: ['endpoint', 'endpoint.technology', 'endpoint.resource', 'endpoint.state'],
  ApplicationReplaced: [],
} satisfies Partial<Record<TemplateType, string[]>>;
export const usedTypes = Object.keys(required) as (keyof typeof required)[];

/** Event types ari-client learns from the (simulated) API description; it cannot read others. */
export const knownTypes = new Set(eventModels.map((m) => m.id));

/** What an ARI id may look like: Asterisk's and the engine's ids, nothing that breaks a URL path. */
export const ARI_ID = /^[A-Za-z0-9._:@-]{1,150}$/;

/** Every path into a value (object keys and array indexes). */
export function pathsOf(v: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (path.length > 0) out.push(path);
  if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) pathsOf(x, [...path, k], out);
  return out;
}

/** A copy of `v` with the value at `path` replaced (removed when `value` is undefined). */
export function withValue(v: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(v) as Record<string, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) {
    const next = at[k];
    if (!next || typeof next !== 'object') return copy;
    at = next as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  // A digits-only value that is not shaped like a phone number: put in an id field it is logged as
  // a call id, and the CI log scan would take a mobile-shaped one for a caller's number.
  fc.constantFrom('', ' ', '../bridges/x', 'a/b?c=1#d', '日本語', '\u0000', '98765432100', 'Z', '12', HUGE),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** A change to an event: the value at one of its paths (an index modulo their number) replaced or removed. */
export const mutation = fc.record({ at: fc.nat(), value: fc.option(oddValue, { nil: undefined }) });
export type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

/** Applies mutations to an event; `type` is left alone. Returns the event and the paths changed. */
export function mutate(
  event: unknown,
  mutations: Mutation[],
  keep: (path: string) => boolean = () => false,
): { event: unknown; changed: { path: string; removed: boolean }[] } {
  const paths = pathsOf(event);
  const changed: { path: string; removed: boolean }[] = [];
  let out = event;
  for (const m of mutations) {
    const path = paths[m.at % paths.length]!;
    if (path[0] === 'type' || keep(path.join('.'))) continue;
    out = withValue(out, path, m.value);
    changed.push({ path: path.join('.'), removed: m.value === undefined });
  }
  return { event: out, changed };
}

/** Whose id a forged event carries. */
const idRef = fc.oneof(
  fc.constant({ ref: 'live' as const }),
  fc.constant({ ref: 'ended' as const }),
  fc.constant({ ref: 'fresh' as const }),
  fc.constant({ ref: 'agent' as const }),
  fc
    .oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('', ' ', '../x', 'x'.repeat(300), '日本', 'a b', '1795500000.1?x'),
      fc.integer(),
    )
    .map((id) => ({ ref: 'odd' as const, id })),
);

const oddDigit = fc.oneof(
  fc.constantFrom(...'0123456789*#ABCDabcd'),
  fc.constantFrom('', 'E', 'X', '12', '**', ' ', '\u0000', '５', HUGE),
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -1, max: 12 }),
  fc.constant(null),
);

export const frame = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      type: fc.constantFrom(...templateTypes),
      id: idRef,
      mutations: fc.array(mutation, { maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('dtmf' as const), digit: oddDigit }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unknown-type' as const),
      type: fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('FooBar', 'stasisstart', 'Stasis Start', 'error', '__proto__', 'constructor', 'pong'),
      ),
      fields: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      text: fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.constantFrom(
          '',
          '{',
          '{"type":',
          '{"type":"StasisStart"',
          'null',
          '[]',
          '42',
          '"StasisStart"',
          'true',
          '[{"type":"StasisStart"}]',
          '{"type":42}',
          '{"no":"type"}',
          `{"type":"${HUGE}"}`,
          HUGE,
        ),
      ),
    }),
  },
);
export type Frame = typeof frame extends fc.Arbitrary<infer T> ? T : never;

/** A warning the adapter must log for a frame. */
export interface ExpectedWarning {
  msg: string;
  event?: string;
  field?: string;
}

/** The ids a frame may refer to when it is sent. */
export interface FrameContext {
  /** Caller channels of calls in progress. */
  live: string[];
  /** Channels of calls that ended. */
  ended: string[];
  /** Agents' endpoint resources. */
  agents: string[];
  /** A channel id nobody has seen. */
  fresh(): string;
}

/**
 * The text of a frame, and the warning it must cause where that follows from its shape alone.
 * Events that would be true lies about a call in progress (its end, its id changed) are not
 * made: the engine has to believe those.
 */
export function buildFrame(
  f: Frame,
  ctx: FrameContext,
  n: number,
): { text: string; expected?: ExpectedWarning } {
  const pick = (list: string[]) => list[n % Math.max(1, list.length)];
  if (f.kind === 'raw') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(f.text);
    } catch {
      return { text: f.text, expected: { msg: 'ARI event dropped: not JSON' } };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { text: f.text, expected: { msg: 'ARI event rejected', field: '' } };
    const type = (parsed as { type?: unknown }).type;
    if (typeof type !== 'string')
      return { text: f.text, expected: { msg: 'ARI event rejected', field: 'type' } };
    return { text: f.text };
  }
  if (f.kind === 'unknown-type') {
    const text = JSON.stringify({ ...f.fields, type: f.type });
    if (knownTypes.has(f.type)) return { text };
    return { text, expected: { msg: 'ARI event dropped', event: f.type.slice(0, 80) } };
  }
  if (f.kind === 'dtmf') {
    const id = pick(ctx.live) ?? ctx.fresh();
    const event = { ...templates.ChannelDtmfReceived(id), digit: f.digit };
    const valid = typeof f.digit === 'string' && /^[0-9A-Da-d*#]$/.test(f.digit);
    return {
      text: JSON.stringify(event),
      ...(valid
        ? {}
        : { expected: { msg: 'ARI event rejected', event: 'ChannelDtmfReceived', field: 'digit' } }),
    };
  }
  let id: string;
  // A channel's end (StasisEnd or ChannelDestroyed) is never forged for a live call: it would end it.
  if (f.id.ref === 'live' && f.type !== 'ChannelDestroyed' && f.type !== 'StasisEnd')
    id = pick(ctx.live) ?? ctx.fresh();
  else if (f.id.ref === 'ended') id = pick(ctx.ended) ?? ctx.fresh();
  else if (f.id.ref === 'agent' && f.type === 'EndpointStateChange') id = pick(ctx.agents) ?? ctx.fresh();
  else if (f.id.ref === 'odd') id = String(f.id.id);
  else id = ctx.fresh();
  const live = ctx.live.includes(id);
  const { event, changed } = mutate(
    templates[f.type](id),
    f.mutations,
    (path) => live && path === 'channel.id',
  );
  const text = JSON.stringify(event);
  if (!(f.type in required)) return { text };
  const needs = required[f.type as keyof typeof required] as string[];
  if (changed.length === 0 && f.id.ref === 'odd' && f.type !== 'EndpointStateChange' && needs.length > 0) {
    const value = f.type === 'PlaybackFinished' ? `${id}-p9999` : id;
    if (!ARI_ID.test(value))
      return { text, expected: { msg: 'ARI event rejected', event: f.type, field: needs[1]! } };
  }
  const only = changed.length === 1 ? changed[0]! : undefined;
  if (only?.removed && needs.includes(only.path))
    return { text, expected: { msg: 'ARI event rejected', event: f.type, field: only.path } };
  return { text };
}
