import { describe, expect, it } from 'vitest';
import { edgeKey, nodesKey, readNodeReports } from '../../src/edge/redis-report.ts';

const entry = (node: string, engine: string, ari: boolean, calls: number, at: number) =>
  JSON.stringify({ node, engine, ari, calls, at });

describe("the engines' node reports", () => {
  it('names the contract keys with the center as hash tag', () => {
    expect(nodesKey('sichuan')).toBe('hotline:{sichuan}:nodes');
    expect(edgeKey('sichuan')).toBe('hotline:{sichuan}:edge');
  });

  it('sums the calls of every engine on a node; ARI is reachable when one engine says so', () => {
    const now = 10_000;
    const reports = readNodeReports(
      {
        'a|e1': entry('a', 'e1', true, 12, now - 500),
        'a|e2': entry('a', 'e2', false, 3, now - 100),
        'b|e1': entry('b', 'e1', false, 0, now),
      },
      now,
    );
    expect(reports.get('a')).toEqual({ ari: true, calls: 15, engines: 2 });
    expect(reports.get('b')).toEqual({ ari: false, calls: 0, engines: 1 });
  });

  it('ignores entries older than 3 s and entries that do not parse', () => {
    const now = 10_000;
    const reports = readNodeReports(
      {
        'a|e1': entry('a', 'e1', true, 12, now - 3001),
        'a|e2': '{not json',
        'b|e1': JSON.stringify({ node: 'b', engine: 'e1', ari: 'yes', calls: 1, at: now }),
        'c|e1': entry('c', 'e1', true, 1, now - 3000),
      },
      now,
    );
    expect([...reports.keys()]).toEqual(['c']);
  });
});
