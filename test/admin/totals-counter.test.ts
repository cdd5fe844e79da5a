import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { totalsCounter } from '../../src/admin/totals-counter.ts';

async function scraped(registry: Registry, labels: Record<string, string> = {}): Promise<number | undefined> {
  const [metric] = (await registry.getMetricsAsJSON()) as {
    values: { value: number; labels: Record<string, string> }[];
  }[];
  return metric!.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

describe('a counter fed by running totals', () => {
  it('adds at each scrape what the total grew by since the last, and nothing when it stayed', async () => {
    const registry = new Registry();
    let total = 3;
    totalsCounter({ name: 't_total', help: 't', registers: [registry], read: () => [['', total]] });
    expect(await scraped(registry)).toBe(3);
    expect(await scraped(registry)).toBe(3);
    total = 7;
    expect(await scraped(registry)).toBe(7);
  });

  it('never goes back when a total goes down, and counts its growth from the new value', async () => {
    const registry = new Registry();
    let total = 5;
    totalsCounter({ name: 't_total', help: 't', registers: [registry], read: () => [['', total]] });
    expect(await scraped(registry)).toBe(5);
    total = 1;
    expect(await scraped(registry)).toBe(5);
    total = 4;
    expect(await scraped(registry)).toBe(8);
  });

  it('keeps each label value apart and shows one that never grew at 0', async () => {
    const registry = new Registry();
    const totals = { refused: 0, transport: 0 };
    totalsCounter({
      name: 't_total',
      help: 't',
      labelName: 'kind',
      registers: [registry],
      read: () => Object.entries(totals),
    });
    expect(await scraped(registry, { kind: 'transport' })).toBe(0);
    totals.refused = 2;
    expect(await scraped(registry, { kind: 'refused' })).toBe(2);
    expect(await scraped(registry, { kind: 'transport' })).toBe(0);
  });
});
