import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { NodePresence } from '../../src/telephony/node-presence.ts';
import { nodeOfId, parseNodeList, remoteAgentEndpoint } from '../../src/telephony/nodes.ts';
import type { PresenceChange, PresencePort } from '../../src/telephony/port.ts';

const nodes = new Set(['a', 'b']);

describe('ids name their node', () => {
  it('takes the node from the prefix of a call id and of every id derived from it', () => {
    expect(nodeOfId('a-1733000000.12', nodes)).toBe('a');
    expect(nodeOfId('b-1733000000.12-b3', nodes)).toBe('b');
    expect(nodeOfId('1733000000.12', nodes)).toBeUndefined();
    expect(nodeOfId('c-1733000000.12', nodes)).toBeUndefined();
  });
});

describe('an agent registered on another node', () => {
  it('is dialled through the trunk to its node, and as it is when registered on the call’s node', () => {
    expect(remoteAgentEndpoint('PJSIP/agent1001', 'a', new Set(['b']))).toBe('PJSIP/agent1001@node-b');
    expect(remoteAgentEndpoint('PJSIP/agent1001', 'a', new Set(['a', 'b']))).toBe('PJSIP/agent1001');
    expect(remoteAgentEndpoint('PJSIP/agent1001', 'a', undefined)).toBe('PJSIP/agent1001');
    expect(remoteAgentEndpoint('PJSIP/agent1001', 'a', new Set())).toBe('PJSIP/agent1001');
  });

  it('leaves trunk dial strings alone', () => {
    expect(remoteAgentEndpoint('PJSIP/12366@sc-tax', 'a', new Set(['b']))).toBe('PJSIP/12366@sc-tax');
    expect(remoteAgentEndpoint('PJSIP/sc-tax/sip:1@10.0.0.1', 'a', new Set(['b']))).toBe(
      'PJSIP/sc-tax/sip:1@10.0.0.1',
    );
  });
});

describe('ARI_NODES', () => {
  it('reads name=URL pairs', () => {
    expect(parseNodeList('a=http://127.0.0.21:8088, b=http://127.0.0.22:8088', 'ARI_NODES')).toEqual([
      { name: 'a', url: 'http://127.0.0.21:8088' },
      { name: 'b', url: 'http://127.0.0.22:8088' },
    ]);
  });

  it('refuses a name that cannot be a systemname prefix, a twice-named node and an empty list, naming the variable', () => {
    expect(() => parseNodeList('A-1=http://x', 'ARI_NODES')).toThrow(/ARI_NODES: "A-1=http:\/\/x"/);
    expect(() => parseNodeList('a=http://x,a=http://y', 'ARI_NODES')).toThrow(/named twice/);
    expect(() => parseNodeList(' , ', 'AMI_NODES')).toThrow(/AMI_NODES: no node/);
  });
});

describe('registrations over several nodes', () => {
  function sources() {
    const listeners = new Map<string, (changes: PresenceChange[], full: boolean) => void>();
    const port = (node: string): PresencePort => ({
      start: async (l) => {
        listeners.set(node, l);
      },
      stop: async () => undefined,
    });
    return {
      listeners,
      ports: new Map([
        ['a', port('a')],
        ['b', port('b')],
      ]),
    };
  }

  it('keeps a phone online while it is registered on any node, and says where', async () => {
    const { listeners, ports } = sources();
    const presence = new NodePresence(ports, createLogger({ level: 'silent' }));
    const seen: PresenceChange[][] = [];
    await presence.start((c) => seen.push(c));
    listeners.get('a')!([{ endpoint: 'PJSIP/agent1001', online: true }], true);
    listeners.get('b')!([{ endpoint: 'PJSIP/agent1001', online: false }], true);
    expect(seen.at(-1)).toEqual([{ endpoint: 'PJSIP/agent1001', online: true }]);
    expect([...presence.nodesOf('PJSIP/agent1001')!]).toEqual(['a']);
    listeners.get('a')!([{ endpoint: 'PJSIP/agent1001', online: false }], false);
    expect(seen.at(-1)).toEqual([{ endpoint: 'PJSIP/agent1001', online: false }]);
  });

  it('takes a lost node’s registrations with it', async () => {
    const { listeners, ports } = sources();
    const presence = new NodePresence(ports, createLogger({ level: 'silent' }));
    const seen: PresenceChange[][] = [];
    await presence.start((c) => seen.push(c));
    listeners.get('a')!([{ endpoint: 'PJSIP/agent1001', online: true }], false);
    listeners.get('b')!(
      [
        { endpoint: 'PJSIP/agent1002', online: true },
        { endpoint: 'PJSIP/agent1001', online: true },
      ],
      false,
    );
    presence.nodeLost('b');
    expect(seen.at(-1)).toEqual([{ endpoint: 'PJSIP/agent1002', online: false }]);
    expect([...presence.nodesOf('PJSIP/agent1001')!]).toEqual(['a']);
  });

  it('tells who moved between nodes, and not who was only named again where it already was', async () => {
    const { listeners, ports } = sources();
    const presence = new NodePresence(ports, createLogger({ level: 'silent' }));
    const moved: string[][] = [];
    presence.onMoved((endpoints) => moved.push([...endpoints].sort()));
    await presence.start(() => undefined);
    listeners.get('a')!(
      [
        { endpoint: 'PJSIP/agent1001', online: true },
        { endpoint: 'PJSIP/agent1002', online: true },
      ],
      true,
    );
    expect(moved).toEqual([['PJSIP/agent1001', 'PJSIP/agent1002']]);
    // a's next snapshot: 1001 still there, 1002 gone (registered on b now)
    listeners.get('a')!([{ endpoint: 'PJSIP/agent1001', online: true }], true);
    listeners.get('b')!([{ endpoint: 'PJSIP/agent1002', online: true }], false);
    expect(moved.slice(1)).toEqual([['PJSIP/agent1002'], ['PJSIP/agent1002']]);
    presence.nodeLost('b');
    expect(moved.at(-1)).toEqual(['PJSIP/agent1002']);
    expect(moved).toHaveLength(4);
  });
});
