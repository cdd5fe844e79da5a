import { gateVariable, parseGate } from '../admission/gate.ts';
import { SIP_CALL_ID_VARIABLE } from '../telephony/sip-call-id.ts';
import type { AppRecord } from './apps.ts';
import type { SimCore } from './core.ts';
import { SimChannel } from './model/channel.ts';
import type { CallOutcomeRecord } from './outcomes.ts';
import { leaveSafetyNetNote } from './safety-net.ts';
import { asteriskTime } from './time.ts';
import type { WaitKind } from './world.ts';

/**
 * Scripted callers: a citizen's call arriving on the carrier trunk and entering
 * `Stasis(app, dialed)`. Without a connected WebSocket for the app Stasis() fails and the call
 * continues in the dialplan (counted as `fallback`, never silently lost). With `dialplan` the
 * call follows the shipped `[hotline-stasis]` context instead: the other apps are tried, then
 * the whole list again `rounds` times, `waitMs` apart, before the fallback.
 */
export type CallerStep =
  | { wait: number }
  | { dtmf: string; gapMs?: number | undefined; durationMs?: number | undefined }
  | { hangup: true }
  | { waitForEvent: WaitKind; timeoutMs?: number | undefined };

export interface InjectCallParams {
  app: string;
  dialed: string;
  callerNumber: string;
  callerName?: string | undefined;
  script?: CallerStep[] | undefined;
  /** When the script starts: on answer (default) or as soon as the call enters Stasis. */
  startOn?: 'answer' | 'enter' | undefined;
  /** The dialplan's retries when Stasis() fails (see `STASIS_RETRY` in src/deploy). */
  dialplan?: { apps?: string[] | undefined; rounds: number; waitMs: number } | undefined;
  /** The carrier's SIP Call-ID the dialplan hands to ARI (channelvars HOTLINE_SIP_CALL_ID). */
  sipCallId?: string | undefined;
}

export interface InjectedCall {
  channelId: string;
  fallback: boolean;
  /** The admission gate's reason, when the dialplan shed the call to the safety net. */
  shed?: string;
}

const DTMF_DURATION_MS = 280;
const DTMF_GAP_MS = 250;

export function injectCall(core: SimCore, params: InjectCallParams): InjectedCall {
  core.counters.callsInjected++;
  const id = core.nextUniqueId();
  const outcome = core.outcomes.open(
    { channelId: id, kind: 'inbound', app: params.app, dialed: params.dialed, endpoint: 'PJSIP/carrier' },
    core.timers.now(),
  );
  const apps = [params.app, ...(params.dialplan?.apps ?? []).filter((a) => a !== params.app)];
  const rounds = params.dialplan?.rounds ?? 1;
  // The admission gate (src/admission/gate.ts) is read before each Stasis(): a gated app is
  // skipped; when every app that could take the call is gated, the call is shed at once.
  let gated: string | undefined;
  const activeApp = (): AppRecord | undefined => {
    gated = undefined;
    for (const name of apps) {
      const gate = parseGate(core.globalVars.get(gateVariable(name)));
      if (gate && !core.gates.draw(name, gate.percent)) {
        gated = gate.reason;
        continue;
      }
      const app = core.apps.get(name);
      if (app?.active) return app;
    }
    return undefined;
  };
  const first = activeApp();
  if (first) {
    enter(core, params, id, outcome, first);
    return { channelId: id, fallback: false };
  }
  if (gated !== undefined || rounds <= 1) {
    fallBack(core, params, id, outcome, gated);
    return { channelId: id, fallback: true, ...(gated !== undefined ? { shed: gated } : {}) };
  }
  core.log.warn(
    { app: params.app, dialed: params.dialed, channelId: id },
    'Stasis app not connected: the dialplan rings and tries again',
  );
  let round = 1;
  const retry = () => {
    round++;
    const app = activeApp();
    if (app) {
      outcome.app = app.name;
      enter(core, params, id, outcome, app);
    } else if (gated !== undefined || round >= rounds) fallBack(core, params, id, outcome, gated);
    else core.timers.after(params.dialplan!.waitMs, retry);
  };
  core.timers.after(params.dialplan!.waitMs, retry);
  return { channelId: id, fallback: false };
}

function fallBack(
  core: SimCore,
  params: InjectCallParams,
  id: string,
  outcome: CallOutcomeRecord,
  shed: string | undefined,
): void {
  core.counters.callsFallback++;
  outcome.fallback = true;
  if (shed !== undefined) outcome.shed = shed;
  outcome.ended = true;
  outcome.hangupBy = 'dialplan';
  outcome.durationMs = core.timers.simElapsedSince(outcome.startedAtReal);
  if (shed !== undefined) {
    core.counters.callsShed++;
    core.log.debug(
      { app: params.app, channelId: id, reason: shed },
      'admission gate: call shed to the safety net',
    );
  } else
    core.log.warn(
      { app: params.app, dialed: params.dialed, channelId: id },
      'Stasis app not connected: call fell back',
    );
  leaveSafetyNetNote(
    core,
    { uniqueid: id, dialed: params.dialed, callerNumber: params.callerNumber, shed },
    outcome,
  );
  core.callEnded(outcome);
}

function enter(
  core: SimCore,
  params: InjectCallParams,
  id: string,
  outcome: CallOutcomeRecord,
  app: AppRecord,
): void {
  const channel = new SimChannel({
    id,
    name: core.channelName('PJSIP', 'carrier'),
    kind: 'inbound',
    state: 'Ring',
    endpoint: 'PJSIP/carrier',
    protocolId: `${id}-sim@127.0.0.1`,
    caller: { name: params.callerName ?? '', number: params.callerNumber },
    connected: { name: '', number: '' },
    dialplan: { context: 'from-carrier', exten: params.dialed, priority: 1, app_name: '', app_data: '' },
    creationtime: asteriskTime(outcome.startedAtReal),
  });
  channel.outcome = outcome;
  if (params.sipCallId !== undefined) channel.channelvars = { [SIP_CALL_ID_VARIABLE]: params.sipCallId };
  core.addChannel(channel);
  if (core.apps.subscribeAllApps.size > 0 || core.apps.endpointSubscriptions > 0)
    announceToSubscribeAll(core, channel, app.name);
  channel.dialplan = { ...channel.dialplan, priority: 2 };
  core.enterStasis(channel, app, [params.dialed]);
  const script = params.script ?? [];
  if (script.length > 0) {
    const immediate = params.startOn === 'enter' || (script[0] !== undefined && 'hangup' in script[0]);
    if (immediate) runScript(core, channel, script, 0);
    else core.waitFor(channel, 'answered', () => runScript(core, channel, script, 0));
  }
}

/** What an app subscribed to everything sees before StasisStart (trace a, lines 1-5). */
function announceToSubscribeAll(core: SimCore, channel: SimChannel, app: string): void {
  core.deliver(core.ev.channel('ChannelCreated', channel), []);
  channel.dialplan = { ...channel.dialplan, app_name: 'NoOp', app_data: `${channel.dialplan.exten} ${app}` };
  core.deliver(
    core.ev.channel('ChannelDialplan', channel, {
      dialplan_app: 'NoOp',
      dialplan_app_data: channel.dialplan.app_data,
    }),
    [],
  );
  const data = `${app},${channel.dialplan.exten}`;
  channel.dialplan = { ...channel.dialplan, app_name: 'Stasis', app_data: data };
  core.deliver(
    core.ev.channel('ChannelDialplan', channel, { dialplan_app: 'Stasis', dialplan_app_data: data }),
    [],
  );
  core.deliver(core.ev.channel('ChannelVarset', channel, { variable: 'STASISSTATUS', value: '' }), []);
}

function conditionMet(channel: SimChannel, kind: WaitKind): boolean {
  if (kind === 'answered') return channel.state === 'Up';
  if (kind === 'bridged') return channel.bridge !== undefined;
  return channel.playbacks[0]?.state === 'playing';
}

function runScript(core: SimCore, channel: SimChannel, script: CallerStep[], index: number): void {
  if (channel.destroyed || channel.hangingUp) return;
  const step = script[index];
  if (!step) return;
  const next = (): void => runScript(core, channel, script, index + 1);
  if ('wait' in step) {
    core.later(channel, step.wait, next);
  } else if ('dtmf' in step) {
    sendDigits(
      core,
      channel,
      step.dtmf,
      step.gapMs ?? DTMF_GAP_MS,
      step.durationMs ?? DTMF_DURATION_MS,
      next,
    );
  } else if ('hangup' in step) {
    core.remoteHangup(channel, 'caller');
  } else {
    if (conditionMet(channel, step.waitForEvent)) {
      next();
      return;
    }
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      next();
    };
    core.waitFor(channel, step.waitForEvent, once);
    if (step.timeoutMs !== undefined) core.later(channel, step.timeoutMs, once);
  }
}

/** Each digit is reported when it ends (after `durationMs`), digits `gapMs` apart. */
export function sendDigits(
  core: SimCore,
  channel: SimChannel,
  digits: string,
  gapMs: number,
  durationMs: number,
  then?: () => void,
): void {
  const list = [...digits];
  const step = (i: number): void => {
    const digit = list[i];
    if (digit === undefined) {
      then?.();
      return;
    }
    core.later(channel, (i === 0 ? 0 : gapMs) + durationMs, () => {
      if (channel.hangingUp) return;
      if (channel.outcome) channel.outcome.dtmf += digit;
      core.emit(channel, 'ChannelDtmfReceived', { digit, duration_ms: durationMs });
      step(i + 1);
    });
  };
  step(0);
}
