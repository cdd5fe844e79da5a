import { describe, expect, it, vi } from 'vitest';
import { DevicePresence } from '../../src/acd/device-presence.ts';
import { MemoryAcdStore } from '../../src/acd/store/memory.ts';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

async function setup(inUse?: (endpoint: string) => Promise<boolean>) {
  const clock = new ManualClock();
  const acd = new MemoryAcdStore({ centerId: 'c', clock });
  await acd.setQueues([
    {
      id: 'pool:g',
      kind: 'pool',
      name: 'g',
      skills: ['g'],
      strategy: 'longest-idle',
      wrapUpSeconds: 0,
      maxWaitSeconds: 60,
    },
  ]);
  await acd.upsertAgents(
    ['a1', 'a2', 'a3'].map((id) => ({
      id,
      name: id,
      centerId: 'c',
      endpoint: `PJSIP/${id}`,
      skills: { g: 5 },
      pools: ['pool:g'],
      expertSeats: [],
    })),
  );
  const presence = new DevicePresence({
    acd,
    clock,
    logger: createLogger({ level: 'silent' }),
    busyHoldMs: 30_000,
    ...(inUse ? { inUse } : {}),
  });
  await presence.start();
  return { clock, acd, presence };
}

describe('device presence', () => {
  it('maps a registration change to the agents of that endpoint only: one write, no scan', async () => {
    const { acd, presence } = await setup();
    const list = vi.spyOn(acd, 'listAgents');
    const set = vi.spyOn(acd, 'setDeviceAvailable');
    presence.apply([{ endpoint: 'PJSIP/a2', online: false }]);
    await flush();
    expect(set.mock.calls).toEqual([['a2', false]]);
    expect(list).not.toHaveBeenCalled();
    // The same state again is no change; an unknown endpoint (a trunk) touches nobody.
    presence.apply([
      { endpoint: 'PJSIP/a2', online: false },
      { endpoint: 'PJSIP/sc-tax', online: true },
    ]);
    await flush();
    expect(set).toHaveBeenCalledTimes(1);
    expect((await acd.getAgent('a2'))?.status.deviceAvailable).toBe(false);
  });

  it('indexes the endpoint an agent logs in with, and applies what is known of it', async () => {
    const { acd, presence } = await setup();
    presence.apply([{ endpoint: 'PJSIP/desk-7', online: false }]);
    await acd.login('a1', 'PJSIP/desk-7');
    await flush();
    expect(presence.agentsOf('PJSIP/desk-7')).toEqual(['a1']);
    expect(presence.agentsOf('PJSIP/a1')).toEqual([]);
    expect((await acd.getAgent('a1'))?.status.deviceAvailable).toBe(false);
    presence.apply([{ endpoint: 'PJSIP/desk-7', online: true }]);
    await flush();
    expect((await acd.getAgent('a1'))?.status.deviceAvailable).toBe(true);
  });

  it('holds a busy agent until the hold ends with the phone free of calls, then follows registration', async () => {
    const busyNow = [true, false];
    const inUse = vi.fn(async () => busyNow.shift() ?? false);
    const { clock, acd, presence } = await setup(inUse);
    await acd.setDeviceAvailable('a1', false); // as the ACD's busy release leaves it
    presence.heldBusy('a1');
    // Registration news during the hold does not end it.
    presence.apply([{ endpoint: 'PJSIP/a1', online: true }], true);
    await flush();
    expect((await acd.getAgent('a1'))?.status.deviceAvailable).toBe(false);
    clock.advance(30_000);
    await flush();
    // Still on a call through the PBX: held for another period.
    expect(inUse).toHaveBeenCalledWith('PJSIP/a1');
    expect((await acd.getAgent('a1'))?.status.deviceAvailable).toBe(false);
    clock.advance(30_000);
    await flush();
    expect((await acd.getAgent('a1'))?.status.deviceAvailable).toBe(true);
    expect(inUse).toHaveBeenCalledTimes(2);
  });

  it('ends a busy hold unavailable when the phone went offline meanwhile', async () => {
    const { clock, acd, presence } = await setup();
    await acd.setDeviceAvailable('a3', false);
    presence.heldBusy('a3');
    presence.apply([{ endpoint: 'PJSIP/a3', online: false }]);
    clock.advance(30_000);
    await flush();
    expect((await acd.getAgent('a3'))?.status.deviceAvailable).toBe(false);
    presence.stop();
  });
});
