import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { PromptManifest } from '../../../src/prompts/manifest.ts';
import type { CallRecord } from '../../../src/records/record.ts';
import type { Lab } from './lab.ts';
import { ROOT, waitFor } from './lab.ts';
import { headerValues, type SippRun } from './sipp.ts';

export interface AriChannel {
  id: string;
  name: string;
  state: string;
  caller: { number: string };
}
export interface AriBridge {
  id: string;
  bridge_type: string;
  channels: string[];
}

export async function channels(lab: Lab): Promise<AriChannel[]> {
  return (await lab.ari('GET', '/channels')).body as AriChannel[];
}

/** Waits for a bridge holding both the caller's channel and an agent's (`PJSIP/<agent>-…`). */
export async function bridgedWith(
  lab: Lab,
  agentEndpoint: string,
  ms = 45_000,
): Promise<{ bridge: AriBridge; legs: AriChannel[] }> {
  return waitFor(
    `a bridge of the caller and ${agentEndpoint}`,
    async () => {
      const [bridges, chans] = await Promise.all([lab.ari('GET', '/bridges'), channels(lab)]);
      for (const b of bridges.body as AriBridge[]) {
        const legs = b.channels
          .map((id) => chans.find((c) => c.id === id))
          .filter((c): c is AriChannel => !!c);
        if (
          legs.some((c) => c.name.startsWith(`${agentEndpoint}-`)) &&
          legs.some((c) => c.name.startsWith('PJSIP/carrier-'))
        ) {
          return { bridge: b, legs };
        }
      }
      return undefined;
    },
    ms,
  );
}

/**
 * RTP packets Asterisk received from and sent to each PJSIP channel's peer, by channel name
 * without the technology (`carrier-00000000`): `pjsip show channelstats`.
 */
export async function rtpCounts(lab: Lab): Promise<Map<string, { rx: number; tx: number }>> {
  const out = new Map<string, { rx: number; tx: number }>();
  for (const line of (await lab.rx('pjsip show channelstats')).split('\n')) {
    // BridgeId ChannelId UpTime Codec RxCount RxLost RxPct RxJitter TxCount …
    const m = /^\s*\S+\s+(\S+-[0-9a-f]{8})\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(\d+)\s/.exec(line);
    if (m) out.set(m[1]!, { rx: Number(m[2]), tx: Number(m[3]) });
  }
  return out;
}

/** Waits until every leg has received and sent at least `packets` RTP packets (50 a second). */
export async function mediaBothWays(
  lab: Lab,
  legs: AriChannel[],
  packets = 100,
): Promise<Record<string, { rx: number; tx: number }>> {
  let last = '';
  return waitFor(
    () =>
      `RTP both ways on ${legs.map((l) => l.name).join(' and ')} (${packets} packets each way; last ${last})`,
    async () => {
      const counts = await rtpCounts(lab);
      last = JSON.stringify(Object.fromEntries(counts));
      const out: Record<string, { rx: number; tx: number }> = {};
      for (const leg of legs) {
        const c = counts.get(leg.name.replace(/^PJSIP\//, ''));
        if (!c || c.rx < packets || c.tx < packets) return undefined;
        out[leg.name.replace(/-[0-9a-f]+$/, '')] = c;
      }
      return out;
    },
    30_000,
    250,
  );
}

/** Waits for SIPp to finish and fails with its message flow unless every call passed. */
export async function passed(run: SippRun, ms = 180_000): Promise<void> {
  const result = await Promise.race([
    run.exited,
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms)),
  ]);
  if (result === 'timeout')
    throw new Error(`SIPp ${run.name} still running after ${ms} ms\n${run.diagnostics()}`);
  if (result.code !== 0)
    throw new Error(`SIPp ${run.name} failed (exit ${result.code ?? result.signal})\n${run.diagnostics()}`);
}

/** The records written since `before` records existed, waiting until `count` are there. */
export async function newRecords(lab: Lab, before: number, count = 1, ms = 30_000): Promise<CallRecord[]> {
  return waitFor(
    `${count} new call record(s)`,
    () => {
      const all = lab.records();
      return all.length >= before + count ? all.slice(before) : undefined;
    },
    ms,
  );
}

/**
 * Requests (re-INVITE, UPDATE) the carrier received after the call was set up that present the
 * caller's own number as the other party (P-Asserted-Identity, Remote-Party-ID or From).
 */
export function selfShownToCaller(run: SippRun, callerNumber: string): string[] {
  return run
    .messages()
    .filter((m) => m.direction === 'received' && (m.method === 'INVITE' || m.method === 'UPDATE'))
    .flatMap((m) => ['P-Asserted-Identity', 'Remote-Party-ID', 'From'].flatMap((h) => headerValues(m, h)))
    .filter((v) => v.includes(callerNumber));
}

/** A prompt's length in ms, from ivr-prompts/manifest.yaml. */
export function promptMs(prompt: string): number {
  const manifest = parse(readFileSync(join(ROOT, 'ivr-prompts/manifest.yaml'), 'utf8')) as PromptManifest;
  const entries = new Map(manifest.prompts.map((p) => [p.id, p]));
  const entry = entries.get(prompt);
  if (entry?.durationMs !== undefined) return entry.durationMs;
  if (!entry?.say) throw new Error(`no duration for prompt ${prompt}`);
  // A composed prompt: its parts, and for each parameter ({number}, {until}) at most 12 fragments
  // as long as the longest digit or date fragment (an upper bound: callers stay long enough).
  const longest = Math.max(
    ...manifest.prompts.filter((p) => /^(num|date)-/.test(p.id)).map((p) => p.durationMs ?? 0),
  );
  return entry.say.reduce((ms, id) => ms + (entries.get(id)?.durationMs ?? 12 * longest), 0);
}
