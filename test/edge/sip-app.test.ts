import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EdgeMetrics } from '../../src/edge/metrics.ts';
import { NodeBoard } from '../../src/edge/node-board.ts';
import { HealthTable } from '../../src/edge/node-health.ts';
import { NumberCheck, planNumbers } from '../../src/edge/number-check.ts';
import {
  type EdgeRequest,
  type ProxyOptions,
  SipApp,
  UNALLOCATED_REASON,
  uriUser,
} from '../../src/edge/sip-app.ts';
import { createLogger } from '../../src/log.ts';
import { loadPlan } from '../../src/plan/load.ts';

const numbers = new NumberCheck(planNumbers(loadPlan(join(import.meta.dirname, '../../routing-rules')).plan));
const nodes = [
  { name: 'a', host: '127.0.0.21', port: 5060 },
  { name: 'b', host: '127.0.0.22', port: 5060 },
];

interface Sent {
  status: number;
  headers: Record<string, string>;
}

function harness(opts: { up?: string[]; maxCalls?: number } = {}) {
  const board = new NodeBoard(nodes, 3000);
  for (const n of opts.up ?? ['a', 'b'])
    board.health.settle(n, board.health.begin(n), { kind: 'answered', status: 200, rttMs: 1 }, 0);
  const metrics = new EdgeMetrics(board, new HealthTable([]));
  const proxied: { destinations: string[]; opts: ProxyOptions; finish: (r: unknown) => void }[] = [];
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  const app = new SipApp({
    board,
    numbers: () => numbers,
    metrics,
    proxy: (_req, destinations, o) =>
      new Promise((resolve) => {
        proxied.push({ destinations, opts: o, finish: resolve });
      }),
    logger,
    nodeMaxCalls: opts.maxCalls ?? 400,
    retryAfterSeconds: 7,
    tryingTimeoutMs: 500,
  });
  const invite = (user: string, to = `<sip:${user}@127.0.0.10>`) => {
    const sent: Sent[] = [];
    const req: EdgeRequest = {
      method: 'INVITE',
      uri: `sip:${user}@127.0.0.10:5060`,
      callingNumber: '13800138000',
      get: (h) => (h.toLowerCase() === 'to' ? to : undefined),
    };
    app.invite(req, { send: (status, o) => sent.push({ status, headers: o?.headers ?? {} }) });
    return sent;
  };
  return { app, board, metrics, proxied, invite, lines };
}

describe('the edge’s SIP decisions', () => {
  it('reads the user of a request URI', () => {
    expect(uriUser('sip:12345@127.0.0.10:5060;transport=udp')).toBe('12345');
    expect(uriUser('sip:12345;npdi@127.0.0.10')).toBe('12345');
    expect(uriUser('tel:+8612345;phone-context=+86')).toBe('+8612345');
    expect(uriUser('sip:127.0.0.10')).toBe('');
  });

  it('refuses a number the plan does not answer with 404 and a Q.850 reason, logging no full number', async () => {
    const h = harness();
    expect(h.invite('99999')).toEqual([{ status: 404, headers: { Reason: UNALLOCATED_REASON } }]);
    expect(h.proxied).toEqual([]);
    expect(await h.metrics.registry.getSingleMetricAsString('hotline_edge_refused_total')).toContain(
      'status="404"} 1',
    );
    expect(h.lines.join('')).toContain('unallocated');
    expect(h.lines.join('')).not.toContain('13800138000');
  });

  it('logs refusals at most once a second, counting the ones not logged', () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.invite('99999');
    const lines = h.lines.filter((l) => l.includes('unallocated'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).notLogged).toBe(0);
  });

  it('proxies a call to every eligible node in order, sequentially, without record-route', () => {
    const h = harness();
    expect(h.invite('12345')).toEqual([]);
    expect(h.proxied[0]!.destinations).toEqual(['sip:12345@127.0.0.21:5060', 'sip:12345@127.0.0.22:5060']);
    expect(h.proxied[0]!.opts).toEqual({
      forking: 'sequential',
      recordRoute: false,
      provisionalTimeout: '500ms',
    });
  });

  it('lets the only eligible node keep the call however slow its first answer', () => {
    const h = harness({ up: ['b'] });
    h.invite('12345');
    expect(h.proxied[0]!.destinations).toEqual(['sip:12345@127.0.0.22:5060']);
    expect(h.proxied[0]!.opts).toEqual({ forking: 'sequential', recordRoute: false });
  });

  it('spreads calls over the nodes', () => {
    const h = harness();
    for (let i = 0; i < 4; i++) h.invite('12345');
    expect(h.proxied.map((p) => p.destinations[0])).toEqual([
      'sip:12345@127.0.0.21:5060',
      'sip:12345@127.0.0.22:5060',
      'sip:12345@127.0.0.21:5060',
      'sip:12345@127.0.0.22:5060',
    ]);
  });

  it('counts a retry on the other node after a 503', async () => {
    const h = harness();
    h.invite('12345');
    h.proxied[0]!.finish({
      finalStatus: 200,
      responses: [
        { address: '127.0.0.21', port: 5060, msgs: [{ status: 503 }] },
        { address: '127.0.0.22', port: 5060, msgs: [{ status: 200 }] },
      ],
    });
    await new Promise((r) => setImmediate(r));
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('hotline_edge_node_failures_total{node="a"} 1');
    expect(text).toContain('hotline_edge_node_retries_total{node="b"} 1');
    expect(text).toContain('hotline_edge_node_invites_total{node="b"} 1');
    expect(h.app.proxiesInFlight).toBe(0);
  });

  it('answers 503 with Retry-After when no node is up', () => {
    const h = harness({ up: [] });
    expect(h.invite('12345')).toEqual([{ status: 503, headers: { 'Retry-After': '7' } }]);
    expect(h.app.takesCalls()).toBe(false);
  });

  it('answers 503 when every node is saturated by calls in flight', () => {
    const h = harness({ maxCalls: 1 });
    h.invite('12345');
    h.invite('12345');
    expect(h.invite('12345')).toEqual([{ status: 503, headers: { 'Retry-After': '7' } }]);
  });

  it('answers 481 to an INVITE inside a dialog it is not in', () => {
    const h = harness();
    expect(h.invite('12345', '<sip:12345@127.0.0.10>;tag=abc')).toEqual([{ status: 481, headers: {} }]);
  });

  it('settles the proxies in flight as unknown when the drachtio connection drops', async () => {
    const h = harness();
    h.invite('12345');
    h.invite('12345');
    expect(h.board.view().map((v) => v.calls)).toEqual([1, 1]);
    h.app.connectionLost();
    expect(h.app.proxiesInFlight).toBe(0);
    expect(h.board.view().map((v) => v.calls)).toEqual([0, 0]);
    expect(await h.metrics.registry.metrics()).toContain('hotline_edge_node_failures_total{node="a"} 0');
    // A result that still arrives later changes nothing.
    h.proxied[0]!.finish({ finalStatus: 200, responses: [] });
    await new Promise((r) => setImmediate(r));
    expect(h.app.proxiesInFlight).toBe(0);
  });

  it('refuses new calls while draining and resolves once the proxies in flight end', async () => {
    const h = harness();
    h.invite('12345');
    let drained = false;
    const d = h.app.drain().then(() => {
      drained = true;
    });
    expect(h.invite('12345')).toEqual([{ status: 503, headers: { 'Retry-After': '7' } }]);
    expect(drained).toBe(false);
    h.proxied[0]!.finish({ finalStatus: 200, responses: [] });
    await d;
    expect(drained).toBe(true);
  });
});
