import { describe, expect, it } from 'vitest';
import { PeersFileError } from '../../src/deploy/peers.ts';
import { trunkTargets } from '../../src/edge/trunk-health.ts';

describe('the trunks the edge watches', () => {
  it('pings every peer of peers.yaml at its address, the nodes map aside', () => {
    const text = [
      'carrier: { address: 10.20.0.5, match: [10.20.0.0/24, 127.0.0.10] }',
      'subcenter-a: 10.30.0.7:5070',
      'nodes: { a: 127.0.0.21, b: 127.0.0.22 }',
    ].join('\n');
    expect(trunkTargets(text)).toEqual([
      { name: 'carrier', uri: 'sip:10.20.0.5' },
      { name: 'subcenter-a', uri: 'sip:10.30.0.7:5070' },
    ]);
  });

  it('refuses a peers file that is not a map of peers', () => {
    expect(() => trunkTargets('- a\n- b\n')).toThrow(PeersFileError);
    expect(() => trunkTargets('carrier: "not an address!"')).toThrow(PeersFileError);
  });
});
