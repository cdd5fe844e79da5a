import { log, type Turn } from '../kernel.ts';
import { recordingName } from '../recording-name.ts';
import type { CallEvent, CallState } from '../types.ts';

/**
 * Call recording (质检 and disputes). With recording on, every bridge in which the caller talks
 * with a person is recorded from the moment that person answers until the bridge goes: the call's
 * bridge once an agent (or an IVR-level target) answered — a three-way or blind transfer's target
 * joins that same bridge, so its recording covers them — and a consult's own bridge once its
 * target (sub-center or expert) answered. Each bridge is recorded once; the names are kept on the
 * call, in the order the recordings began, for its record.
 */

/**
 * After each turn: records the bridges where the caller (or a consult) now has a person on the
 * line; a recording the PBX refused (the event of the turn) is marked failed, never asked again.
 */
export function recordBridges(s: CallState, t: Turn, event: CallEvent): void {
  if (!s.record) return;
  if (event.kind === 'command-failed' && event.command.kind === 'record-bridge')
    recordingRefused(s, t, event.command.name, event.status);
  if (s.stage === 'ended') return;
  const talking = s.stage === 'talking' || s.stage === 'transferred';
  if (talking && s.bridgeId) record(s, t, s.bridgeId);
  const x = s.transfer;
  if (x?.consultBridgeId && x.answeredAt !== undefined) record(s, t, x.consultBridgeId);
}

function record(s: CallState, t: Turn, bridgeId: string): void {
  if (s.recordings?.some((r) => r.bridgeId === bridgeId)) return;
  const name = recordingName(s, t.now);
  s.recordings ??= [];
  s.recordings.push({ name, bridgeId, startedAt: t.now });
  log(s, t, 'recording', { name, bridge: bridgeId });
  t.out.push({ kind: 'record-bridge', bridgeId, name });
}

/** The PBX refused to record: marked failed (not tried again; the record names only real recordings). */
function recordingRefused(s: CallState, t: Turn, name: string, status?: number): void {
  const r = s.recordings?.find((x) => x.name === name);
  if (!r) return;
  r.failed = true;
  log(s, t, 'recording', { name, bridge: r.bridgeId, failed: true, status });
}
