import { nextId } from './kernel.ts';
import type { CallState } from './types.ts';

/**
 * The names of call recordings (the recording's id, and its stored file's name): they carry when
 * the recording began (for the retention sweep, which Asterisk's stored-recordings listing does
 * not give) and which call it is of (for the access ledger).
 */

/** Prefix of every recording the engine makes (the retention sweep deletes nothing else). */
export const RECORDING_PREFIX = 'hotline-';

/** Stored recording names: `hotline-<UTC yyyymmddThhmmssZ>-<call id, dots as _>-r<seq>`. */
const NAME = /^hotline-(\d{8})T(\d{6})Z-([A-Za-z0-9_-]{1,160})$/;

/** The name of a recording begun at `now`: its date (for the retention) and its call (for the ledger). */
export function recordingName(s: CallState, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${RECORDING_PREFIX}${stamp}-${nextId(s, 'r').replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The date and call id a recording's name carries, or undefined for a name the engine never makes. */
export function parseRecordingName(name: string): { startedAt: number; callId: string } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [d, t] = [m[1]!, m[2]!];
  const startedAt = Date.parse(
    `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}Z`,
  );
  if (Number.isNaN(startedAt)) return undefined;
  // The call id is the name's middle without the `-r<seq>` the session added.
  const callId = m[3]!.replace(/-r\d+$/, '').replace(/_/g, '.');
  return { startedAt, callId };
}
