/**
 * The admission gate in the dialplan: while an engine sheds, it sets one Asterisk global
 * variable per Stasis app it owns to the shed reason, with the share of calls it still takes
 * (empty while it takes every call). The generated `[hotline-stasis]` context reads the gate
 * before each Stasis(): a call not drawn into the share skips that app, and a call no app took
 * because every live app was gated goes straight to the safety net
 * (`[hotline-fallback]`) with HOTLINE_SHED set to the reason — a shed call costs the engine
 * nothing. The safety net's note then carries `shed=<reason>`, and the note's record says so.
 *
 * A call whose StasisStart reached the engine before the gate closed is shed by the engine itself
 * (its record is written by the engine at once); it continues in ENGINE_SHED_CONTEXT at the label
 * named by its reason (one ARI `continue`, no channel variable set over ARI: on Asterisk 22 that
 * would block the safety net's FILE() note). That context sets HOTLINE_SHED to the reason and
 * HOTLINE_RECORDED=engine and enters the same safety net, so the note writes no second record.
 */

/** Where a call the engine shed itself continues (dialplan/extensions.conf): the safety net, marked recorded. */
export const ENGINE_SHED_CONTEXT = 'hotline-engine-shed';

/**
 * The gate's value: '' (open: every call enters), `<reason>` (closed: none does) or
 * `<reason>:<percent>` (that share of calls enters, 1–99; the dialplan draws RAND(1,100) per call).
 */
export interface GateValue {
  reason: string;
  /** Percent of calls that still enter (0: closed). */
  percent: number;
}

/** Reads a gate's value; undefined when it is open ('' or unset). */
export function parseGate(value: string | undefined): GateValue | undefined {
  if (!value) return undefined;
  const [reason = '', share] = value.split(':');
  const percent = share === undefined ? 0 : Number(share);
  return { reason, percent: Number.isInteger(percent) && percent > 0 && percent < 100 ? percent : 0 };
}

/** The global variable that gates `app` (Asterisk variable names: letters, digits, `_`). */
export function gateVariable(app: string): string {
  return `HOTLINE_GATE_${app.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The channel variable naming why a call was shed (dialplan gate or engine). */
export const SHED_VARIABLE = 'HOTLINE_SHED';
/** The channel variable the dialplan sets when the gate skipped an app (its reason). */
export const GATED_VARIABLE = 'HOTLINE_GATED';
/** The channel variable telling the safety net's note that the engine wrote the call's record. */
export const RECORDED_VARIABLE = 'HOTLINE_RECORDED';
/** RECORDED_VARIABLE's value for a call the engine shed and recorded. */
export const RECORDED_BY_ENGINE = 'engine';
