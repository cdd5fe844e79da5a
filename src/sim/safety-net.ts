import { mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimCore } from './core.ts';
import type { CallOutcomeRecord } from './outcomes.ts';

/**
 * The dialplan's safety net as the simulator plays it (dialplan/extensions.conf `[hotline-fallback]`):
 * a call no app took is answered by the PBX itself and ends there. The simulator has no dialplan
 * queue, so the caller hangs up after the greeting (`abandoned`); with `safetyNetSpool` set it
 * leaves the same one-line note the `h` handler writes, which the engine's intake turns into the
 * call's record (src/records/safety-net-notes.ts) — shed calls with `shed=<reason>`.
 */
export interface SafetyNetCall {
  uniqueid: string;
  dialed: string;
  callerNumber: string;
  /** Why the admission gate sent the call here (absent: no app was connected). */
  shed?: string | undefined;
}

export function leaveSafetyNetNote(core: SimCore, call: SafetyNetCall, outcome: CallOutcomeRecord): void {
  const spool = core.options.safetyNetSpool;
  if (!spool) return;
  const now = core.timers.now();
  const epoch = Math.floor(now / 1000);
  const started = new Date(now).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const pairs: [string, string | number][] = [
    ['outcome', 'abandoned'],
    ['caller', call.callerNumber.replace(/[^0-9+]/g, '')],
    ['dialed', call.dialed],
    ['started', started],
    ['uniqueid', call.uniqueid],
    ['agent', ''],
    ['recording', ''],
    ['member', ''],
    ['arrived', epoch],
    ['queued', ''],
    ['holdtime', ''],
    ['queuestatus', ''],
    ['ended', epoch + Math.round((outcome.durationMs ?? 0) / 1000)],
    ['cause', 16],
    ['shed', call.shed ?? ''],
    ['recorded', ''],
  ];
  const line = pairs.map(([k, v]) => `${k}=${v}`).join(' ');
  // Written off the simulator's thread (a surge sheds a thousand calls a second), under another
  // name first: a note is complete once its *.txt file exists, as the intake expects.
  if (!madeSpools.has(spool)) {
    mkdirSync(spool, { recursive: true });
    madeSpools.add(spool);
  }
  const path = join(spool, `${epoch}-${call.uniqueid}-${call.dialed}.txt`);
  writeFile(`${path}.part`, `${line}\n`)
    .then(() => rename(`${path}.part`, path))
    .catch((err: Error) => core.log.error({ spool, err: err.message }, 'safety-net note not written'));
}

const madeSpools = new Set<string>();
