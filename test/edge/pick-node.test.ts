import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ineligible, type NodeView, pickNodes } from '../../src/edge/pick-node.ts';

const node = (name: string, calls: number, more: Partial<NodeView> = {}): NodeView => ({
  name,
  up: true,
  ari: true,
  calls,
  ...more,
});

describe('picking the nodes for a call', () => {
  it('orders the eligible nodes by fewest calls', () => {
    expect(pickNodes([node('a', 5), node('b', 2), node('c', 9)], 400, 0)).toEqual(['b', 'a', 'c']);
  });

  it('leaves out nodes down by OPTIONS, unreachable by any engine, or saturated', () => {
    const nodes = [node('a', 1, { up: false }), node('b', 1, { ari: false }), node('c', 400), node('d', 399)];
    expect(pickNodes(nodes, 400, 0)).toEqual(['d']);
    expect(nodes.map((n) => ineligible(n, 400))).toEqual(['down', 'no-ari', 'saturated', undefined]);
  });

  it('has no node when none is eligible', () => {
    expect(pickNodes([node('a', 1, { up: false })], 400, 3)).toEqual([]);
    expect(pickNodes([], 400, 0)).toEqual([]);
  });

  it('tries a node that missed one OPTIONS only when no node is up, and never one that is otherwise ineligible', () => {
    const busy = node('a', 3, { up: false, suspect: true });
    expect(pickNodes([busy, node('b', 9)], 400, 0)).toEqual(['b']);
    expect(pickNodes([busy, node('b', 9, { up: false })], 400, 0)).toEqual(['a']);
    expect(
      pickNodes(
        [
          node('a', 3, { up: false, suspect: true, ari: false }),
          node('b', 400, { up: false, suspect: true }),
          node('c', 1, { up: false, suspect: true }),
        ],
        400,
        0,
      ),
    ).toEqual(['c']);
  });

  it('takes turns among nodes with equal calls', () => {
    const nodes = [node('a', 0), node('b', 0), node('c', 0)];
    const firsts = [0, 1, 2, 3, 4, 5].map((turn) => pickNodes(nodes, 400, turn)[0]);
    expect(firsts).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(pickNodes(nodes, 400, 1)).toEqual(['b', 'c', 'a']);
  });

  it('always lists every eligible node once, fewest calls first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ calls: fc.nat(10), up: fc.boolean(), ari: fc.boolean() }), { maxLength: 6 }),
        fc.nat(100),
        fc.integer({ min: 1, max: 10 }),
        (specs, turn, max) => {
          const nodes = specs.map((s, i) => node(`n${i}`, s.calls, s));
          const picked = pickNodes(nodes, max, turn);
          const eligible = nodes.filter((n) => ineligible(n, max) === undefined).map((n) => n.name);
          expect([...picked].sort()).toEqual([...eligible].sort());
          const calls = picked.map((p) => nodes.find((n) => n.name === p)!.calls);
          expect(calls).toEqual([...calls].sort((x, y) => x - y));
        },
      ),
    );
  });
});
