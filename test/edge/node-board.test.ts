import { describe, expect, it } from 'vitest';
import { NodeBoard } from '../../src/edge/node-board.ts';

const nodes = [
  { name: 'a', host: '127.0.0.21', port: 5060 },
  { name: 'b', host: '127.0.0.22', port: 5060 },
];

function board(now: { t: number }) {
  const b = new NodeBoard(nodes, 3000, () => now.t);
  for (const n of nodes)
    b.health.settle(n.name, b.health.begin(n.name), { kind: 'answered', status: 200, rttMs: 1 }, 0);
  return b;
}

describe('what the edge knows of its nodes', () => {
  it('without the engines’ reports: every node up is reachable and its load is the INVITEs in flight', () => {
    const now = { t: 0 };
    const b = board(now);
    b.started('a');
    b.started('a');
    expect(b.shared).toBe(false);
    expect(b.view()).toEqual([
      { name: 'a', up: true, suspect: false, ari: true, calls: 2 },
      { name: 'b', up: true, suspect: false, ari: true, calls: 0 },
    ]);
    b.settled('a', [{ node: 'a', outcome: 'answered', status: 200 }]);
    expect(b.view()[0]!.calls).toBe(1);
  });

  it('with the reports: the engines’ calls plus the calls sent since, and ARI as the engines see it', () => {
    const now = { t: 0 };
    const b = board(now);
    b.applyReports(new Map([['a', { ari: true, calls: 10, engines: 2 }]]));
    b.started('a');
    b.settled('a', [{ node: 'a', outcome: 'answered', status: 200 }]);
    b.started('b');
    b.settled('b', [
      { node: 'b', outcome: 'failed', status: 503 },
      { node: 'a', outcome: 'answered', status: 200 },
    ]);
    expect(b.view()).toEqual([
      { name: 'a', up: true, suspect: false, ari: true, calls: 12 },
      { name: 'b', up: true, suspect: false, ari: false, calls: 0 },
    ]);
    expect(b.totals('a')).toEqual({ invites: 2, failures: 0, inFlight: 0 });
    expect(b.totals('b')).toEqual({ invites: 1, failures: 1, inFlight: 0 });
    b.applyReports(new Map([['a', { ari: true, calls: 12, engines: 2 }]]));
    expect(b.view()[0]!.calls).toBe(12);
  });

  it('falls back to OPTIONS alone once the reports are older than they stay fresh', () => {
    const now = { t: 0 };
    const b = board(now);
    b.applyReports(new Map());
    expect(b.view().map((v) => v.ari)).toEqual([false, false]);
    now.t = 3001;
    expect(b.shared).toBe(false);
    expect(b.view().map((v) => v.ari)).toEqual([true, true]);
  });
});
