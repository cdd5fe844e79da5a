import type { SimCore } from './core.ts';
import { badRequest, channelNotFound, SimRestError } from './errors.ts';
import { SimChannel } from './model/channel.ts';
import { asteriskTime } from './time.ts';

/**
 * Snoop channels (`POST /channels/{id}/snoop[/{snoopId}]`), as Asterisk 22's res_stasis_snoop
 * makes them: a channel `Snoop/<spied id>-<8 hex>`, Up from the start, that enters the app named
 * with its arguments (StasisStart) from a thread of its own, so just after the REST answer. `spy`
 * and `whisper` are directions seen from the spied channel: `in` what it sends, `out` what it is
 * sent. It ends when the spied channel goes (its audiohook is detached: StasisEnd, then it is
 * destroyed, cause 0), or when the app hangs it up. Audio is not simulated: the directions are
 * kept on the channel for tests (`snoop`).
 */
export type SnoopDirection = 'none' | 'in' | 'out' | 'both';
const directions = new Set<string>(['none', 'in', 'out', 'both']);

export interface SnoopParams {
  spy: string | undefined;
  whisper: string | undefined;
  app: string | undefined;
  appArgs: string | undefined;
  snoopId: string | undefined;
}

let snoopSeq = 0;

export function startSnoop(core: SimCore, spiedId: string, p: SnoopParams): SimChannel {
  const spy = p.spy ?? 'none';
  const whisper = p.whisper ?? 'none';
  if (!directions.has(spy)) throw badRequest('Invalid direction specified for spy');
  if (!directions.has(whisper)) throw badRequest('Invalid direction specified for whisper');
  if (spy === 'none' && whisper === 'none')
    throw badRequest('Direction must be specified for at least spy or whisper');
  if (!p.app) throw badRequest('Application name is required');
  const spied = core.channels.get(spiedId);
  if (!spied || spied.destroyed) throw channelNotFound();
  if (p.snoopId !== undefined && core.channels.has(p.snoopId))
    throw new SimRestError(500, 'sim-internal', 'Snoop channel could not be created');
  const id = p.snoopId ?? core.nextUniqueId();
  const channel = new SimChannel({
    id,
    name: `Snoop/${spied.id}-${(snoopSeq++).toString(16).padStart(8, '0')}`,
    kind: 'snoop',
    state: 'Up',
    endpoint: '',
    protocolId: '',
    caller: { name: '', number: '' },
    connected: { name: '', number: '' },
    dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' },
    creationtime: asteriskTime(core.timers.now()),
  });
  channel.snoop = { of: spied.id, spy: spy as SnoopDirection, whisper: whisper as SnoopDirection };
  channel.app = p.app;
  core.channels.set(id, channel);
  spied.snoops.add(channel);
  const app = core.apps.ensure(p.app);
  const args = p.appArgs ? p.appArgs.split(',') : [];
  core.later(channel, 0, () => core.enterStasis(channel, app, args));
  return channel;
}

/** The spied channel is gone: each of its snoops leaves the app and is destroyed. */
export function spiedGone(core: SimCore, spied: SimChannel): void {
  for (const snoop of spied.snoops) {
    // The snoop's next read (every 20 ms) finds the audiohook detached.
    core.later(snoop, SNOOP_INTERVAL_MS, () => {
      if (snoop.hangingUp) return;
      snoop.hangingUp = true;
      core.teardown(snoop);
      core.destroy(snoop, 0, undefined, 'remote');
    });
  }
  spied.snoops.clear();
}

const SNOOP_INTERVAL_MS = 20;

/** A snoop is destroyed: its spied channel forgets it. */
export function snoopGone(core: SimCore, snoop: SimChannel): void {
  const of = snoop.snoop?.of;
  if (of !== undefined) core.channels.get(of)?.snoops.delete(snoop);
}
