import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SteppedClock } from '../../../src/clock.ts';
import { type OperationSpec, operations } from '../../../src/sim/api/operations.ts';
import type { AriSimulator } from '../../../src/sim/index.ts';
import {
  type CompactEvent,
  compactEvent,
  compactResponse,
  type TraceFixture,
} from '../../../src/sim/trace-compact.ts';
import { type Connected, connectAriWith, driveSim, framesDelivered, operationOf } from './ari.ts';

/**
 * Replays a recorded scenario: sets up the simulator's world as the fixture describes, then
 * sends the same requests through the real ari-client, each once as many compared events have
 * arrived as had arrived when it was recorded. The simulator runs on `clock`, fired one timer at a
 * time and only once every event sent has arrived, so no timer overtakes a request however slow
 * the machine is.
 */
const fixtureDir = fileURLToPath(new URL('../../fixtures/ari-traces/', import.meta.url));

export function loadFixtures(): TraceFixture[] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(fixtureDir + f, 'utf8')) as TraceFixture);
}

function matchOperation(method: string, path: string): { op: OperationSpec; params: Record<string, string> } {
  const segs = path.split('/').filter(Boolean);
  let best: { op: OperationSpec; params: Record<string, string>; literal: number } | undefined;
  for (const op of operations) {
    if (op.httpMethod !== method) continue;
    const tpl = op.path.split('/').filter(Boolean);
    if (tpl.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let literal = 0;
    const ok = tpl.every((t, i) => {
      const seg = segs[i] ?? '';
      const m = /^\{(.+)\}$/.exec(t);
      if (m?.[1]) {
        params[m[1]] = seg;
        return true;
      }
      literal++;
      return t === seg;
    });
    if (ok && (!best || literal > best.literal)) best = { op, params, literal };
  }
  if (!best) throw new Error(`no operation for ${method} ${path}`);
  return best;
}

export interface ReplayResult {
  events: CompactEvent[];
  statuses: number[];
  responses: Array<Record<string, unknown> | undefined>;
}

export async function replay(
  sim: AriSimulator,
  clock: SteppedClock,
  fixture: TraceFixture,
  settleMs = 500,
): Promise<ReplayResult> {
  for (const [endpoint, settings] of Object.entries(fixture.world.endpoints))
    sim.setEndpoint(endpoint, settings);
  const statuses: number[] = [];
  const off = sim.onRest((entry) => statuses.push(entry.status));
  // Recorded with subscribeAll=true (shared ari-traces README): the caller's hangup request and
  // ChannelDestroyed after its StasisEnd reach the app only through that subscription.
  const conn: Connected = await connectAriWith(sim, fixture.app, true);
  try {
    const { caller } = fixture.world;
    const { channelId } = sim.injectCall({
      app: fixture.app,
      dialed: caller.dialed,
      callerNumber: caller.callerNumber,
      callerName: caller.callerName,
      script: caller.script,
    });
    const role = (id: string): string => (id === channelId ? 'caller' : id);
    const fill = (v: string): string => v.split('{caller}').join(channelId);
    const compacted = (): CompactEvent[] =>
      conn.events.map((e) => compactEvent(e, role)).filter((e): e is CompactEvent => e !== undefined);
    const until = (n: number): Promise<void> =>
      driveSim(
        sim,
        clock,
        [conn],
        `scenario ${fixture.scenario}: ${n} events`,
        () => compacted().length >= n,
      );
    const responses: ReplayResult['responses'] = [];
    for (const step of fixture.rest) {
      await until(step.afterEvents);
      // What falls due at this very instant (a playback starting) has happened in Asterisk by the
      // time a client's next request arrives.
      while (clock.fireNext(clock.now())) {}
      const { op, params } = matchOperation(step.method, fill(step.path));
      const args: Record<string, string> = { ...params };
      for (const [k, v] of Object.entries(step.query)) args[k] = fill(v);
      try {
        const result = await operationOf(conn.client, op.resource, op.nickname)(args);
        responses.push(compactResponse(result, role));
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        responses.push(compactResponse(JSON.parse(text), role));
      }
    }
    await until(fixture.events.length);
    // Nothing more within `settleMs` of simulated time: fire what falls due by then, let it arrive.
    const settled = clock.now() + settleMs;
    do await framesDelivered(sim, [conn]);
    while (clock.fireNext(settled));
    return { events: compacted(), statuses, responses };
  } finally {
    off();
    conn.stop();
  }
}
