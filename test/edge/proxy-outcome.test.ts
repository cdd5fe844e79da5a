import { describe, expect, it } from 'vitest';
import { attemptsOf, finalResponses } from '../../src/edge/proxy-outcome.ts';

const a = { node: 'a', host: '127.0.0.21', port: 5060 };
const b = { node: 'b', host: '127.0.0.22', port: 5060 };
const from = (t: typeof a, status: number) => ({ address: t.host, port: t.port, status });

describe("each node's part in a sequential proxy", () => {
  it('reads the final responses out of drachtio-srf’s proxy result', () => {
    const result = {
      finalStatus: 200,
      responses: [
        { address: '127.0.0.21', port: 5060, msgs: [{ status: 503 }] },
        { address: '127.0.0.22', port: 5060, msgs: [{ status: 180 }, { status: 200 }] },
      ],
    };
    expect(finalResponses(result)).toEqual([from(a, 503), from(b, 200)]);
    expect(finalResponses(undefined)).toEqual([]);
  });

  it('answered on the first node: the second was not tried', () => {
    expect(attemptsOf([a, b], [from(a, 200)], 200).map((x) => x.outcome)).toEqual(['answered', 'not-tried']);
  });

  it('a 503 on the first node, answered on the second', () => {
    expect(attemptsOf([a, b], [from(a, 503), from(b, 200)], 200)).toEqual([
      { node: 'a', outcome: 'failed', status: 503 },
      { node: 'b', outcome: 'answered', status: 200 },
    ]);
  });

  it('a silent first node failed when the second answered', () => {
    expect(attemptsOf([a, b], [from(b, 200)], 200).map((x) => x.outcome)).toEqual(['failed', 'answered']);
  });

  it('every node failed', () => {
    expect(attemptsOf([a, b], [from(a, 503)], 408).map((x) => x.outcome)).toEqual(['failed', 'failed']);
  });

  it('the caller cancelled: no node failed', () => {
    expect(attemptsOf([a, b], [from(a, 487)], 487).map((x) => x.outcome)).toEqual(['cancelled', 'not-tried']);
    expect(attemptsOf([a, b], [], 487).map((x) => x.outcome)).toEqual(['cancelled', 'not-tried']);
  });
});
