import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHotline } from '../../src/app.ts';
import { ScaledClock } from '../../src/clock.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { type Connected, connectAri, framesDelivered, startSim } from '../sim/helpers/ari.ts';
import { ariFetch } from '../sim/helpers/http.ts';
import {
  generalAgent,
  MemoryRecords,
  plans,
  type Rig,
  readyAgents,
  startRig,
} from '../support/engine-harness.ts';

let rig: Rig | undefined;
let sim: AriSimulator | undefined;
let app: Connected | undefined;
let hotline: Hotline | undefined;
afterEach(async () => {
  app?.stop();
  await rig?.close();
  await hotline?.close();
  await sim?.stop();
  rig = undefined;
  sim = undefined;
  app = undefined;
  hotline = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, predicate: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('the simulator models what an endpoint:PJSIP subscription costs on a real Asterisk', () => {
  it('delivers each channel event twice to an app that owns the channel and is subscribed to its endpoint', async () => {
    sim = await startSim();
    app = await connectAri(sim, 'probe');
    const call = () => sim!.injectCall({ app: 'probe', dialed: '12345', callerNumber: '13900000001' });
    const a = call();
    await app.waitFor((e) => e.type === 'StasisStart');
    await app.client.channels.answer({ channelId: a.channelId });
    sim.sendDtmf(a.channelId, '5');
    await app.waitFor((e) => e.type === 'ChannelDtmfReceived');
    await framesDelivered(sim!, [app]);
    expect(app.ofType('ChannelDtmfReceived')).toHaveLength(1);

    const sub = await ariFetch(
      sim.url,
      'POST',
      '/applications/probe/subscription?eventSource=endpoint:PJSIP',
    );
    expect(sub.status).toBe(200);
    const before = app.events.length;
    sim.sendDtmf(a.channelId, '7');
    await app.waitFor((e) => e.type === 'ChannelDtmfReceived' && e.digit === '7');
    await framesDelivered(sim!, [app]);
    expect(app.ofType('ChannelDtmfReceived').filter((e) => e.digit === '7')).toHaveLength(2);
    // A call the app never routes (another app's) still reaches it through the subscription.
    const other = await connectAri(sim, 'other');
    try {
      const b = sim.injectCall({ app: 'other', dialed: '12345', callerNumber: '13900000002' });
      await other.waitFor((e) => e.type === 'StasisStart');
      sim.hangup(b.channelId);
      await app.waitFor(
        (e) => e.type === 'ChannelDestroyed' && (e.channel as { id: string }).id === b.channelId,
      );
      const foreign = app.events
        .slice(before)
        .filter((e) => (e.channel as { id?: string } | undefined)?.id === b.channelId);
      expect(foreign.length).toBeGreaterThanOrEqual(4);
      expect(app.events.slice(before).some((e) => e.type === 'EndpointStateChange')).toBe(true);
      expect(sim.eventsByEndpointSubscription).toBeGreaterThanOrEqual(foreign.length + 1);
    } finally {
      other.stop();
    }
  });
});

describe('the engine subscribes to what its calls need, nothing more', () => {
  it('leaves its apps without endpoint subscriptions, and applies each menu key once', async () => {
    rig = await startRig({ plan: plans.puyangWithMenu(), roster: [generalAgent('a1001')] });
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', hangupAfterMs: 2000 }]);
    const info = await ariFetch(rig.sim.url, 'GET', '/applications/hotline');
    expect(info.body).toMatchObject({ endpoint_ids: [], device_names: [] });
    // Puyang's main menu: 0 goes to the emergency-linkage menu, where 9 is not an option.
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000003',
      script: [
        { wait: 2500 },
        { dtmf: '0' },
        { wait: 2500 },
        { dtmf: '9' },
        { wait: 1000 },
        { hangup: true },
      ],
    });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    const path = rig.records.records[0]!.ivrPath;
    expect(path.slice(0, 2).map((p) => [p.menu, p.keys])).toEqual([
      ['main', '0'],
      ['emergency', '9'],
    ]);
    expect(rig.sim.eventsByEndpointSubscription).toBe(0);
  });

  it('learns a softphone going offline and back by one poll of all endpoints, touching only that agent', async () => {
    rig = await startRig({ roster: [generalAgent('a1001'), generalAgent('a1002'), generalAgent('a1003')] });
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/agent1001' },
      { id: 'a1002', endpoint: 'PJSIP/agent1002' },
      { id: 'a1003', endpoint: 'PJSIP/agent1003' },
    ]);
    await rig.advance(11_000);
    const store = rig.hotline.store;
    const listAgents = vi.spyOn(store, 'listAgents');
    const setDevice = vi.spyOn(store, 'setDeviceAvailable');
    rig.sim.setEndpoint('PJSIP/agent1002', { behaviour: 'answer', online: false });
    await rig.runUntil(
      'a1002 unavailable',
      async () => (await store.getAgent('a1002'))?.status.deviceAvailable === false,
    );
    expect(setDevice.mock.calls).toEqual([['a1002', false]]);
    expect(listAgents).not.toHaveBeenCalled();
    rig.sim.setEndpoint('PJSIP/agent1002', { behaviour: 'answer', online: true });
    await rig.runUntil(
      'a1002 available',
      async () => (await store.getAgent('a1002'))?.status.deviceAvailable === true,
    );
    expect(setDevice.mock.calls).toEqual([
      ['a1002', false],
      ['a1002', true],
    ]);
    expect(listAgents).not.toHaveBeenCalled();
  });
});

describe('softphone registration through AMI', () => {
  it('takes a snapshot at connection, then one ContactStatus per change, mapped to that agent only', async () => {
    const clock = new ScaledClock(20);
    const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    sim = await startAriSimulator({ clock, ami: true, logger });
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', online: true });
    sim.setEndpoint('PJSIP/agent1002', { behaviour: 'answer', online: false });
    sim.setEndpoint('PJSIP/agent1003', { behaviour: 'answer', online: true });
    hotline = await startHotline({
      plan: plans.sichuan(),
      ari: { url: sim.url, user: 'hotline', password: 'hotline', apps: ['hotline'], maxConnections: 8 },
      ami: sim.ami!,
      roster: [
        { ...generalAgent('a1001'), endpoint: 'PJSIP/agent1001' },
        { ...generalAgent('a1002'), endpoint: 'PJSIP/agent1002' },
        { ...generalAgent('a1003'), endpoint: 'PJSIP/agent1003' },
      ],
      records: new MemoryRecords(),
      engineId: 'engine-ami',
      env: {},
      clock,
      logger,
    });
    const store = hotline.store;
    const available = async (id: string) => (await store.getAgent(id))?.status.deviceAvailable;
    await until('the snapshot applied', async () => (await available('a1002')) === false);
    expect(await available('a1001')).toBe(true);
    expect(hotline.ami?.connected).toBe(true);
    const listAgents = vi.spyOn(store, 'listAgents');
    const setDevice = vi.spyOn(store, 'setDeviceAvailable');
    sim.setEndpoint('PJSIP/agent1003', { behaviour: 'answer', online: false });
    await until('a1003 unavailable', async () => (await available('a1003')) === false);
    expect(setDevice.mock.calls).toEqual([['a1003', false]]);
    expect(listAgents).not.toHaveBeenCalled();
    // An agent logging in whose phone is known to be unregistered is not offered calls.
    await store.login('a1002', 'PJSIP/agent1002');
    await until('a1002 stays unavailable after login', async () => setDevice.mock.calls.length >= 1);
    expect(await available('a1002')).toBe(false);
    // AMI drops; the engine reconnects and reads everything again.
    sim.setEndpoint('PJSIP/agent1002', { behaviour: 'answer', online: true });
    await until('a1002 available', async () => (await available('a1002')) === true);
    expect(sim.dropAmiConnections()).toBe(1);
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', online: false });
    await until('reconnected and re-read', async () => (await available('a1001')) === false, 10_000);
    expect(hotline.ami!.reconnects).toBeGreaterThanOrEqual(1);
  });
});
