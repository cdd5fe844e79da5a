import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('hotline edge', () => {
  it('is a command with its own help', async () => {
    const c = capture();
    expect(await main(['edge', '--help'], c.io)).toBe(0);
    expect(c.out.join('')).toContain('EDGE_NODES');
    expect(c.out.join('')).toContain('503 with Retry-After');
  });

  it('exits 2 naming what the configuration lacks', async () => {
    const saved = { s: process.env.DRACHTIO_SECRET, n: process.env.EDGE_NODES };
    delete process.env.DRACHTIO_SECRET;
    process.env.EDGE_NODES = 'A=127.0.0.21';
    try {
      const c = capture();
      expect(await main(['edge'], c.io)).toBe(2);
      expect(c.err.join('')).toContain('DRACHTIO_SECRET');
    } finally {
      if (saved.s === undefined) delete process.env.DRACHTIO_SECRET;
      else process.env.DRACHTIO_SECRET = saved.s;
      if (saved.n === undefined) delete process.env.EDGE_NODES;
      else process.env.EDGE_NODES = saved.n;
    }
  });
});
