/**
 * Derives the compact trace fixtures in test/fixtures/ari-traces/ from the recorded Asterisk
 * traces (default /work/shared/ari-traces). For each scenario it keeps: the REST requests in
 * order (path, query, status, how many compared events had arrived when each was sent), the
 * compared event sequence (see src/sim/trace-compact.ts), and the "world" the replay needs to
 * reproduce the run: the caller's script, the far ends' behaviour and the prompt lengths.
 * It also checks the scenario against its second recording (run2/) and notes whether the
 * compared sequences are identical.
 *
 *   node --import tsx scripts/derive-trace-fixtures.ts [traceDir] [outDir]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallerStep } from '../src/sim/callers.ts';
import type { EndpointSettings } from '../src/sim/endpoints.ts';
import {
  type CompactEvent,
  compactEvent,
  compactResponse,
  type FixtureRest,
  type TraceFixture,
} from '../src/sim/trace-compact.ts';

const traceDir = process.argv[2] ?? '/work/shared/ari-traces';
const outDir = process.argv[3] ?? 'test/fixtures/ari-traces';

const scenarios: Record<string, string> = {
  a: 'a-answer-play-hangup.jsonl',
  b: 'b-answer-dtmf.jsonl',
  c: 'c-bridge-threeway.jsonl',
  d: 'd-abandon-during-playback.jsonl',
  e: 'e-originate-unreachable.jsonl',
  e2: 'e2-originate-busy.jsonl',
  e3: 'e3-originate-noanswer-timeout.jsonl',
  e4: 'e4-originate-unreachable-timerB.jsonl',
  f: 'f-create-dial-bridge.jsonl',
  g: 'g-caller-hangup-while-bridged.jsonl',
};

/** Prompts cut short in the recordings were the 30 s `demo-congrats` (see the README). */
const LONG_PROMPT_MS = 30_000;
const CALLER_TOKEN = '{caller}';

type Json = Record<string, unknown>;
interface Line {
  t_ms: number;
  kind: string;
  [key: string]: unknown;
}

function readLines(file: string): Line[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Line);
}

const chan = (e: Json): Json | undefined => (e.channel ?? e.peer) as Json | undefined;

function derive(scenario: string, file: string): TraceFixture {
  const lines = readLines(file);
  const meta = lines.find((l) => l.kind === 'meta') ?? { t_ms: 0, kind: 'meta' };
  const events = lines.filter((l) => l.kind === 'event').map((l) => ({ t: l.t_ms, e: l.event as Json }));
  const start = events.find((x) => x.e.type === 'StasisStart' && /^\d+\.\d+$/.test(String(chan(x.e)?.id)));
  if (!start) throw new Error(`${scenario}: no inbound StasisStart`);
  const callerId = String(chan(start.e)?.id);
  const role = (id: string): string => (id === callerId ? 'caller' : id);
  const tokenize = (v: string): string => v.split(callerId).join(CALLER_TOKEN);

  // REST requests in order, with the number of compared events seen before each was sent.
  const responses = new Map<number, Line>();
  for (const l of lines) if (l.kind === 'rest_response') responses.set(Number(l.req), l);
  const rest: FixtureRest[] = [];
  const compacted: CompactEvent[] = [];
  for (const l of lines) {
    if (l.kind === 'event') {
      const c = compactEvent(l.event as Json, role);
      if (c) compacted.push(c);
    } else if (l.kind === 'rest_request') {
      const response = responses.get(Number(l.req));
      const url = new URL(String(l.url), 'http://trace');
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = tokenize(v);
      const entry: FixtureRest = {
        method: String(l.method),
        path: tokenize(decodeURIComponent(url.pathname.replace(/^\/ari/, ''))),
        query,
        status: Number(response?.status ?? 0),
        afterEvents: compacted.length,
      };
      const body = compactResponse(response?.body, role);
      if (body) entry.response = body;
      rest.push(entry);
    }
  }

  // The caller: DTMF and BYE timing relative to the answer.
  const answerAt =
    events.find((x) => x.e.type === 'ChannelStateChange' && chan(x.e)?.id === callerId)?.t ?? start.t;
  const script: CallerStep[] = [];
  let cursor = answerAt;
  const digits = events.filter((x) => x.e.type === 'ChannelDtmfReceived' && chan(x.e)?.id === callerId);
  const first = digits[0];
  if (first) {
    const duration = Number(first.e.duration_ms);
    const last = digits[digits.length - 1] ?? first;
    const interval = digits.length > 1 ? (last.t - first.t) / (digits.length - 1) : duration;
    script.push({ wait: Math.max(0, first.t - duration - cursor) });
    script.push({
      dtmf: digits.map((x) => String(x.e.digit)).join(''),
      gapMs: Math.round(Math.max(0, interval - duration)),
      durationMs: duration,
    });
    cursor = last.t;
  }
  const bye = events.find(
    (x) => x.e.type === 'ChannelHangupRequest' && chan(x.e)?.id === callerId && x.e.cause === undefined,
  );
  if (bye) {
    script.push({ wait: Math.max(0, bye.t - cursor) });
    script.push({ hangup: true });
  }

  // The far ends, from each outbound channel's Dial events.
  const endpoints: Record<string, EndpointSettings> = {};
  for (const r of rest) {
    if (r.method !== 'POST' || (r.path !== '/channels' && r.path !== '/channels/create')) continue;
    const id = r.query.channelId;
    const endpoint = r.query.endpoint;
    if (!id || !endpoint) continue;
    const mine = events.filter((x) => chan(x.e)?.id === id);
    const dials = mine.filter((x) => x.e.type === 'Dial');
    const dialAt = dials[0]?.t ?? 0;
    const status = (s: string) => dials.find((x) => x.e.dialstatus === s);
    const answer = status('ANSWER');
    const busy = status('BUSY');
    if (answer) endpoints[endpoint] = { behaviour: 'answer', answerAfterMs: answer.t - dialAt };
    else if (busy) endpoints[endpoint] = { behaviour: 'busy', answerAfterMs: busy.t - dialAt };
    else if (status('RINGING')) endpoints[endpoint] = { behaviour: 'no-answer' };
    else if (dials.length > 0) endpoints[endpoint] = { behaviour: 'unreachable' };
  }

  // Prompt lengths: natural ends measured; prompts cut short are the long one.
  const promptDurations: Record<string, number> = {};
  const started = new Map<string, number>();
  for (const x of events) {
    const pb = x.e.playback as Json | undefined;
    if (!pb) continue;
    const media = String(pb.media_uri);
    if (x.e.type === 'PlaybackStarted') started.set(String(pb.id), x.t);
    if (x.e.type !== 'PlaybackFinished') continue;
    const stopped = rest.some(
      (r) => r.method === 'DELETE' && r.path === `/playbacks/${pb.id}` && r.status === 204,
    );
    const natural = pb.state === 'done' && !stopped;
    const t0 = started.get(String(pb.id)) ?? x.t;
    if (natural) promptDurations[media] = x.t - t0;
    else promptDurations[media] ??= LONG_PROMPT_MS;
  }

  const caller = (chan(start.e)?.caller ?? {}) as Json;
  return {
    scenario,
    description: String(meta.description ?? ''),
    source: file.split('/').slice(-1)[0] ?? file,
    stableAcrossRuns: null,
    app: String(start.e.application ?? 'hotline'),
    world: {
      caller: {
        dialed: String((start.e.args as unknown[])[0] ?? ''),
        callerNumber: String(caller.number ?? ''),
        callerName: String(caller.name ?? ''),
        script,
      },
      endpoints,
      promptDurations,
    },
    rest,
    events: compacted,
  };
}

function sameSequences(a: TraceFixture, b: TraceFixture): boolean {
  const key = (f: TraceFixture) =>
    JSON.stringify({ events: f.events, rest: f.rest.map((r) => [r.method, r.path, r.status]) });
  return key(a) === key(b);
}

/** Pretty at the top, one line per request and per event, so diffs stay readable. */
function formatFixture(f: TraceFixture): string {
  const list = (items: unknown[]) => `[\n${items.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`;
  const { rest, events, ...head } = f;
  const headLines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${[...headLines, `  "rest": ${list(rest)}`, `  "events": ${list(events)}`].join(',\n')}\n}\n`;
}

mkdirSync(outDir, { recursive: true });
for (const [scenario, name] of Object.entries(scenarios)) {
  const fixture = derive(scenario, join(traceDir, name));
  const second = join(traceDir, 'run2', name);
  if (existsSync(second)) fixture.stableAcrossRuns = sameSequences(fixture, derive(scenario, second));
  const out = join(outDir, `${scenario}.json`);
  writeFileSync(out, formatFixture(fixture));
  console.log(
    `${scenario}: ${fixture.rest.length} requests, ${fixture.events.length} events, ` +
      `stable across runs: ${fixture.stableAcrossRuns} -> ${out}`,
  );
}
