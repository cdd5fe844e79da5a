import { describe, expect, it } from 'vitest';
import { EdgeConfigError, parseNodes, readEdgeConfig } from '../../src/edge/config.ts';

const base = { DRACHTIO_SECRET: 's3cret', EDGE_NODES: 'a=127.0.0.21:5060,b=127.0.0.22' };

describe('the edge configuration', () => {
  it('reads the nodes in the order given, with 5060 when no port is given', () => {
    expect(parseNodes('a=127.0.0.21:5070, ast2=127.0.0.22')).toEqual([
      { name: 'a', host: '127.0.0.21', port: 5070 },
      { name: 'ast2', host: '127.0.0.22', port: 5060 },
    ]);
  });

  it.each([
    ['A=127.0.0.21'],
    ['a127.0.0.21'],
    ['a=127.0.0.300'],
    ['a=127.0.0.21:70000'],
    ['a=127.0.0.21,a=127.0.0.22'],
    ['1a=127.0.0.21'],
  ])('refuses EDGE_NODES=%s', (nodes) => {
    expect(() => parseNodes(nodes)).toThrow(EdgeConfigError);
  });

  it('takes the contract defaults', () => {
    const c = readEdgeConfig(base);
    expect(c.drachtio).toEqual({ host: '127.0.0.1', port: 9022, secret: 's3cret' });
    expect(c.optionsMs).toBe(1000);
    expect(c.nodeMaxCalls).toBe(400);
    expect(c.retryAfterSeconds).toBe(5);
    expect(c.tryingTimeoutMs).toBe(500);
    expect(c.redisUrl).toBeUndefined();
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8081 });
  });

  it('reads every variable it knows', () => {
    const c = readEdgeConfig({
      ...base,
      DRACHTIO_URL: 'tcp://10.0.0.9:9023',
      EDGE_OPTIONS_MS: '250',
      EDGE_NODE_MAX_CALLS: '3',
      EDGE_RETRY_AFTER_SECONDS: '9',
      EDGE_TRYING_TIMEOUT_MS: '300',
      REDIS_URL: 'redis://127.0.0.1:6390/0',
      EDGE_PEERS: 'peers.yaml',
      HOTLINE_RULES: 'rules',
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: '9100',
    });
    expect(c).toMatchObject({
      drachtio: { host: '10.0.0.9', port: 9023 },
      optionsMs: 250,
      nodeMaxCalls: 3,
      retryAfterSeconds: 9,
      tryingTimeoutMs: 300,
      redisUrl: 'redis://127.0.0.1:6390/0',
      peersFile: 'peers.yaml',
      rulesDir: 'rules',
      http: { host: '0.0.0.0', port: 9100 },
    });
  });

  it('requires the drachtio secret and the nodes, and says which is missing', () => {
    expect(() => readEdgeConfig({ EDGE_NODES: 'a=127.0.0.21' })).toThrow(/DRACHTIO_SECRET/);
    expect(() => readEdgeConfig({ DRACHTIO_SECRET: 'x', EDGE_NODES: '' })).toThrow(/EDGE_NODES/);
    expect(() => readEdgeConfig({ ...base, DRACHTIO_URL: 'http://x:1' })).toThrow(/DRACHTIO_URL/);
  });
});
