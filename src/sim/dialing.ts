import type { SimCore } from './core.ts';
import { parseEndpoint } from './endpoints.ts';
import { badRequest, conflict } from './errors.ts';
import { type CallerId, SimChannel } from './model/channel.ts';
import { asteriskTime } from './time.ts';

/**
 * Outbound legs: `POST /channels` (originate into an app) and `POST /channels/create` + `/dial`.
 * The far end follows its scripted behaviour; the event sequences and causes are the ones of
 * traces c, e, e2, e3, e4 and f.
 */
export interface OutboundParams {
  endpoint: string;
  app: string;
  appArgs?: string | undefined;
  callerId?: string | undefined;
  channelId?: string | undefined;
  originator?: string | undefined;
}

/** SIP Timer B: an INVITE to a silent UDP contact times out after 32 s. */
const TIMER_B_MS = 32_000;
const DEFAULT_TIMEOUT_S = 30;
/** The far end's 180 follows the INVITE almost at once. */
const RING_AFTER_MS = 2;
const DEFAULT_ANSWER_MS = 1000;
const DEFAULT_BUSY_MS = 500;

/** Parses `"Name" <number>`, `Name <number>` or a bare number. */
export function parseCallerId(value: string): CallerId {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(value);
  if (m) return { name: m[1] ?? '', number: m[2] ?? '' };
  return { name: '', number: value.trim() };
}

function splitArgs(appArgs: string | undefined): string[] {
  if (appArgs === undefined || appArgs === '') return [];
  return appArgs.split(',');
}

function newOutbound(core: SimCore, params: OutboundParams, kind: 'originated' | 'created'): SimChannel {
  const address = parseEndpoint(params.endpoint);
  if (!address) throw badRequest('Invalid endpoint');
  if (params.channelId !== undefined && core.channels.has(params.channelId)) {
    throw conflict('Channel with given unique ID already exists.');
  }
  const settings = core.endpoints.resolve(params.endpoint);
  const own: CallerId = {
    name: settings.callerName ?? '',
    number: settings.callerNumber ?? address.resource.replace(/\D/g, ''),
  };
  const caller = params.callerId !== undefined ? parseCallerId(params.callerId) : own;
  const channel = new SimChannel({
    id: params.channelId ?? core.nextUniqueId(),
    name: core.channelName(address.tech, address.resource),
    kind,
    state: 'Down',
    endpoint: params.endpoint,
    protocolId: '',
    caller: own,
    connected: { name: '', number: '' },
    dialplan: {
      context: settings.context ?? 'from-agents',
      exten: 's',
      priority: 1,
      app_name: '',
      app_data: '',
    },
    creationtime: asteriskTime(core.timers.now()),
  });
  channel.dialstring = address.dialstring;
  channel.app = params.app;
  channel.outcome = core.outcomes.open(
    { channelId: channel.id, kind, app: params.app, dialed: address.dialstring, endpoint: params.endpoint },
    core.timers.now(),
  );
  core.addChannel(channel);
  core.subscribe(channel, core.apps.ensure(params.app));
  core.emit(channel, 'ChannelCreated');
  channel.protocolId = `${channel.id}-sim`;
  if (kind === 'originated') {
    channel.caller = caller;
    channel.connected = { ...caller };
    channel.dialplan = { ...channel.dialplan, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
  }
  return channel;
}

function timeoutMs(timeoutS: number | undefined): number {
  const s = timeoutS ?? DEFAULT_TIMEOUT_S;
  return s < 0 ? Number.POSITIVE_INFINITY : s * 1000;
}

/** `POST /channels` with `app`: the channel enters Stasis only once the far end answers. */
export function originate(
  core: SimCore,
  params: OutboundParams & { timeout?: number | undefined },
): SimChannel {
  const channel = newOutbound(core, params, 'originated');
  channel.stasisArgs = splitArgs(params.appArgs);
  core.later(channel, 0, () => startDialing(core, channel, timeoutMs(params.timeout), true));
  return channel;
}

/** `POST /channels/create`: StasisStart at once, state Down, nothing dialled yet. */
export function createChannel(core: SimCore, params: OutboundParams): SimChannel {
  const channel = newOutbound(core, params, 'created');
  core.enterStasis(channel, core.apps.ensure(params.app), splitArgs(params.appArgs));
  return channel;
}

/** `POST /channels/{id}/dial` on a created channel. */
export function dialCreated(
  core: SimCore,
  channel: SimChannel,
  callerId: string | undefined,
  timeoutS?: number,
): void {
  if (channel.kind !== 'created' || channel.dialed) throw conflict('Channel cannot be dialed.');
  const caller = callerId !== undefined ? core.channels.get(callerId) : undefined;
  if (caller) channel.connected = { ...caller.caller };
  channel.dialed = true;
  core.later(channel, 0, () => startDialing(core, channel, timeoutMs(timeoutS), false));
}

function startDialing(core: SimCore, channel: SimChannel, timeout: number, repeatDialstring: boolean): void {
  channel.dialed = true;
  const later = (ms: number, fn: () => void): void => {
    core.later(channel, ms, fn);
  };
  const dial = (status: string): void => {
    const dialstring = status === '' || repeatDialstring ? channel.dialstring : '';
    core.deliver(core.ev.dial(channel, status, dialstring), channel.subscribers);
  };
  dial('');
  const settings = core.endpoints.resolve(channel.endpoint);
  if (settings.online === false) {
    later(0, () =>
      fail(core, channel, { request: [20, undefined], dialstatus: 'CHANUNAVAIL', cause: 20 }, dial),
    );
    return;
  }
  const ringThenTimeout = (): void => {
    later(RING_AFTER_MS, () => {
      core.setState(channel, 'Ringing');
      dial('RINGING');
    });
    if (Number.isFinite(timeout)) later(timeout, () => fail(core, channel, { cause: 19, tech: 480 }, dial));
  };
  switch (settings.behaviour) {
    case 'answer': {
      const answerAt = settings.answerAfterMs ?? DEFAULT_ANSWER_MS;
      if (answerAt >= timeout) {
        ringThenTimeout();
        return;
      }
      later(Math.min(RING_AFTER_MS, answerAt), () => {
        core.setState(channel, 'Ringing');
        dial('RINGING');
      });
      later(answerAt, () => answered(core, channel, dial));
      return;
    }
    case 'no-answer':
      ringThenTimeout();
      return;
    case 'busy': {
      const at = settings.answerAfterMs ?? DEFAULT_BUSY_MS;
      if (at >= timeout) {
        ringThenTimeout();
        return;
      }
      later(at, () =>
        fail(core, channel, { request: [17, 486], dialstatus: 'BUSY', cause: 17, tech: 486 }, dial),
      );
      return;
    }
    case 'unreachable':
      if (timeout <= TIMER_B_MS) later(timeout, () => fail(core, channel, { cause: 19, tech: 480 }, dial));
      else
        later(TIMER_B_MS, () =>
          fail(core, channel, { request: [18, 408], dialstatus: 'NOANSWER', cause: 18, tech: 408 }, dial),
        );
      return;
  }
}

function answered(core: SimCore, channel: SimChannel, dial: (status: string) => void): void {
  core.setState(channel, 'Up');
  dial('ANSWER');
  const settings = core.endpoints.resolve(channel.endpoint);
  if (channel.kind === 'originated') {
    const app = core.apps.get(channel.app ?? '');
    if (!app?.active) {
      core.remoteHangup(channel, 'dialplan', 16);
      return;
    }
    core.enterStasis(channel, app, channel.stasisArgs);
  }
  if (settings.dtmfAfterAnswer) {
    let at = 300;
    for (const digit of settings.dtmfAfterAnswer) {
      core.later(channel, at, () => {
        if (channel.outcome) channel.outcome.dtmf += digit;
        core.emit(channel, 'ChannelDtmfReceived', { digit, duration_ms: 100 });
      });
      at += 250;
    }
  }
  if (settings.hangupAfterMs !== undefined) {
    core.later(channel, settings.hangupAfterMs, () => core.remoteHangup(channel, 'remote'));
  }
}

interface Failure {
  /** ChannelHangupRequest cause and tech_cause, when the far end answered with a final error. */
  request?: [number, number | undefined];
  dialstatus?: string;
  cause: number;
  tech?: number;
}

function fail(core: SimCore, channel: SimChannel, failure: Failure, dial: (status: string) => void): void {
  if (channel.hangingUp) return;
  channel.hangingUp = true;
  if (failure.request) {
    const [cause, tech] = failure.request;
    core.emit(channel, 'ChannelHangupRequest', tech === undefined ? { cause } : { cause, tech_cause: tech });
  }
  if (failure.dialstatus) dial(failure.dialstatus);
  core.teardown(channel);
  core.destroy(channel, failure.cause, failure.tech, 'dial-failure');
}
