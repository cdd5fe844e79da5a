import type { AppRecord } from './apps.ts';
import { conflict, SimRestError, unprocessable } from './errors.ts';
import { finishPlayback } from './media.ts';
import { SimBridge } from './model/bridge.ts';
import type { SimChannel } from './model/channel.ts';
import { recordingsOf } from './recording.ts';
import { asteriskTime } from './time.ts';
import type { SimWorld } from './world.ts';

/**
 * Stasis bridges: creation, channels entering and leaving (with the technology change and the
 * BRIDGEPEER variables the traces show), destruction. A bridge is never destroyed because it
 * became empty, and a party leaving never hangs up the others.
 */
export interface CreateBridgeParams {
  bridgeId?: string | undefined;
  type?: string | undefined;
  name?: string | undefined;
}

let generated = 0;

export function createBridge(core: SimWorld, params: CreateBridgeParams): SimBridge {
  const id = params.bridgeId ?? `${core.nextUniqueId()}-bridge-${++generated}`;
  if (core.bridges.has(id)) throw conflict('Bridge with the same bridgeId already exists');
  const types = (params.type ?? 'mixing').split(',').map((t) => t.trim());
  const bridgeType = types.includes('holding') ? 'holding' : 'mixing';
  const bridge = new SimBridge(id, bridgeType, params.name ?? '', asteriskTime(core.timers.now()));
  core.bridges.set(id, bridge);
  core.deliver(core.ev.bridge('BridgeCreated', bridge), []);
  return bridge;
}

function lookupMembers(core: SimWorld, ids: string[]): SimChannel[] {
  const out: SimChannel[] = [];
  for (const id of ids) {
    const channel = core.channels.get(id);
    if (!channel) throw new SimRestError(400, 'sim-channel-not-found', 'Channel not found');
    out.push(channel);
  }
  return out;
}

/** `POST /bridges/{id}/addChannel`: every channel must exist (400) and be in Stasis (422). */
export function addChannels(core: SimWorld, bridge: SimBridge, ids: string[]): void {
  const members = lookupMembers(core, ids);
  for (const channel of members) {
    if (!channel.inStasis) throw unprocessable('Channel not in Stasis application');
  }
  for (const channel of members) {
    if (channel.bridge === bridge) continue;
    if (channel.bridge) leaveBridge(core, channel.bridge, channel);
    enterBridge(core, bridge, channel);
  }
}

export function removeChannels(core: SimWorld, bridge: SimBridge, ids: string[]): void {
  const members = lookupMembers(core, ids);
  for (const channel of members) {
    if (channel.bridge !== bridge) throw unprocessable('Channel not in this bridge');
  }
  for (const channel of members) leaveBridge(core, bridge, channel);
}

function addImplicit(bridge: SimBridge, app: AppRecord): void {
  bridge.implicit.set(app, (bridge.implicit.get(app) ?? 0) + 1);
  app.implicitBridges.set(bridge.id, (app.implicitBridges.get(bridge.id) ?? 0) + 1);
}

function dropImplicit(bridge: SimBridge, app: AppRecord): void {
  const n = (bridge.implicit.get(app) ?? 1) - 1;
  if (n > 0) bridge.implicit.set(app, n);
  else bridge.implicit.delete(app);
  const m = (app.implicitBridges.get(bridge.id) ?? 1) - 1;
  if (m > 0) app.implicitBridges.set(bridge.id, m);
  else app.implicitBridges.delete(bridge.id);
}

function recordPeers(channel: SimChannel, others: SimChannel[]): void {
  for (const other of others) {
    for (const [a, b] of [
      [channel, other],
      [other, channel],
    ] as const) {
      const outcome = a.outcome;
      if (!outcome) continue;
      if (!outcome.bridgedWith.includes(b.id)) outcome.bridgedWith.push(b.id);
      if (!outcome.talkedWithEndpoints.includes(b.endpoint) && b.kind !== 'inbound') {
        outcome.talkedWithEndpoints.push(b.endpoint);
      }
    }
  }
}

function setBridgePeers(core: SimWorld, bridge: SimBridge): void {
  if (bridge.channels.size < 2) return;
  const members = [...bridge.channels.values()];
  for (const channel of members) {
    const peers = members.filter((c) => c !== channel).map((c) => c.name);
    const value = peers.join(',');
    channel.vars.set('BRIDGEPEER', value);
    core.emit(channel, 'ChannelVarset', { variable: 'BRIDGEPEER', value });
  }
}

export function enterBridge(core: SimWorld, bridge: SimBridge, channel: SimChannel): void {
  for (const app of channel.subscribers) addImplicit(bridge, app);
  const others = [...bridge.channels.values()];
  bridge.channels.set(channel.id, channel);
  channel.bridge = bridge;
  core.deliver(core.ev.bridge('ChannelEnteredBridge', bridge, channel), bridge.subscribers());
  setBridgePeers(core, bridge);
  recordPeers(channel, others);
  bridge.evaluateTechnology();
  core.signal(channel, 'bridged');
}

export function leaveBridge(core: SimWorld, bridge: SimBridge, channel: SimChannel): void {
  if (channel.bridge !== bridge) return;
  const targets = bridge.subscribers();
  for (const app of channel.subscribers) targets.add(app);
  bridge.channels.delete(channel.id);
  channel.bridge = undefined;
  if (channel.vars.get('BRIDGEPEER')) {
    channel.vars.set('BRIDGEPEER', '');
    core.emit(channel, 'ChannelVarset', { variable: 'BRIDGEPEER', value: '' });
  }
  core.deliver(core.ev.bridge('ChannelLeftBridge', bridge, channel), targets);
  for (const app of channel.subscribers) dropImplicit(bridge, app);
  bridge.evaluateTechnology();
}

/** `DELETE /bridges/{id}`: members leave (they are not hung up), then BridgeDestroyed. */
export function destroyBridge(core: SimWorld, bridge: SimBridge): void {
  // Its recorder leaves first: the recordings end while the apps still follow the bridge.
  recordingsOf(core).bridgeGone(bridge);
  for (const channel of [...bridge.channels.values()]) leaveBridge(core, bridge, channel);
  for (const playback of [...bridge.playbacks]) finishPlayback(core, playback, 'done', 'stopped');
  bridge.destroyed = true;
  core.deliver(core.ev.bridge('BridgeDestroyed', bridge), bridge.subscribers());
  for (const app of bridge.explicit) app.explicitBridges.delete(bridge.id);
  for (const app of bridge.implicit.keys()) app.implicitBridges.delete(bridge.id);
  core.bridges.delete(bridge.id);
}
