import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AriAdapter } from '../../src/telephony/ari/ari-adapter.ts';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function adapterOnSim(): Promise<{ sim: AriSimulator; adapter: AriAdapter }> {
  const sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }) });
  cleanup.push(() => sim.stop());
  const adapter = new AriAdapter({
    url: sim.url,
    user: 'hotline',
    password: 'hotline',
    apps: ['hotline'],
    logger: createLogger({ level: 'silent' }),
    clock: systemClock,
  });
  cleanup.push(() => adapter.stop());
  await adapter.start(() => undefined);
  return { sim, adapter };
}

describe('what the apps own after a reconnect', () => {
  it('reports the empty Stasis bridges its caller claims, whatever their ids look like, and no other', async () => {
    const { adapter } = await adapterOnSim();
    await adapter.createBridge('holding-7');
    await adapter.createBridge('someone-b1');
    const claimed = await adapter.owned((id) => id === 'holding-7');
    expect(claimed.bridges).toEqual(['holding-7']);
    const unclaimed = await adapter.owned();
    expect(unclaimed.bridges).toEqual([]);
  });
});
