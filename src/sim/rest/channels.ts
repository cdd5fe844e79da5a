import { causeForReason } from '../causes.ts';
import type { SimCore } from '../core.ts';
import { createChannel, dialCreated, originate } from '../dialing.ts';
import { badRequest, channelNotFound, notInStasis, SimRestError } from '../errors.ts';
import { playbackResponse, startPlay } from '../media.ts';
import type { SimChannel } from '../model/channel.ts';
import { startSnoop } from '../snoop.ts';
import type { Args, Handler, RestReply } from './router.ts';

/** Handlers for `/channels/...`. */
const NO_CONTENT: RestReply = { status: 204 };

export function channelHandlers(core: SimCore): Record<string, Handler> {
  const find = (args: Args): SimChannel => {
    const channel = core.channels.get(args.req('channelId'));
    if (!channel || channel.hangingUp) throw channelNotFound();
    return channel;
  };
  const inStasis = (args: Args): SimChannel => {
    const channel = find(args);
    if (!channel.inStasis) throw notInStasis();
    return channel;
  };
  const simple = (fn: (channel: SimChannel, args: Args) => void): Handler => {
    return (args) => {
      fn(inStasis(args), args);
      return NO_CONTENT;
    };
  };
  const originateHandler = (args: Args, channelId: string | undefined): RestReply => {
    const app = args.str('app');
    if (app === undefined) throw badRequest('Invalid parameters for originating a channel: app is required');
    const channel = originate(core, {
      endpoint: args.req('endpoint'),
      app,
      appArgs: args.str('appArgs'),
      callerId: args.str('callerId'),
      channelId,
      originator: args.str('originator'),
      timeout: args.int('timeout'),
    });
    return { status: 200, body: channel.toJSON() };
  };
  const snoop = (args: Args, snoopId: string | undefined): RestReply => {
    const channel = startSnoop(core, args.req('channelId'), {
      spy: args.str('spy'),
      whisper: args.str('whisper'),
      app: args.str('app'),
      appArgs: args.str('appArgs'),
      snoopId,
    });
    return { status: 200, body: channel.toJSON() };
  };
  const play = (args: Args, playbackId: string | undefined): RestReply => {
    const channel = inStasis(args);
    const media = args.list('media');
    if (media.length === 0) throw badRequest('Missing required parameter: media');
    const playback = startPlay(core, channel, media, playbackId, args.str('lang'));
    return { status: 201, body: playbackResponse.get(playback) ?? playback.toJSON() };
  };

  return {
    'channels.list': () => ({ status: 200, body: [...core.channels.values()].map((c) => c.toJSON()) }),
    'channels.get': (args) => ({ status: 200, body: find(args).toJSON() }),
    'channels.originate': (args) => originateHandler(args, args.str('channelId')),
    'channels.originateWithId': (args) => originateHandler(args, args.req('channelId')),
    'channels.create': (args) => {
      const channel = createChannel(core, {
        endpoint: args.req('endpoint'),
        app: args.req('app'),
        appArgs: args.str('appArgs'),
        channelId: args.str('channelId'),
        originator: args.str('originator'),
      });
      return { status: 200, body: channel.toJSON() };
    },
    'channels.hangup': (args) => {
      const channel = find(args);
      const code = args.int('reason_code');
      const reason = args.str('reason');
      let cause = 16;
      if (code !== undefined) cause = code;
      else if (reason !== undefined) {
        const mapped = causeForReason(reason);
        if (mapped === undefined) throw badRequest('Invalid reason for hangup provided');
        cause = mapped;
      }
      core.hangupByApp(channel, cause);
      return NO_CONTENT;
    },
    'channels.continueInDialplan': simple((channel) => {
      core.teardown(channel);
      core.later(channel, 0, () => core.destroy(channel, 16, undefined, 'dialplan'));
      channel.hangingUp = true;
    }),
    'channels.answer': simple((channel) => core.answer(channel)),
    'channels.ring': simple((channel) => {
      channel.ringing = true;
    }),
    'channels.ringStop': simple((channel) => {
      channel.ringing = false;
    }),
    'channels.progress': simple(() => undefined),
    // DTMF sent towards the far end produces no ARI event on this channel.
    'channels.sendDTMF': simple((_channel, args) => {
      if (!args.str('dtmf')) throw badRequest('DTMF is required');
    }),
    // As Asterisk: `direction` in, out or both (the default); no event either way.
    'channels.mute': simple((channel, args) => {
      for (const d of muteDirections(args.str('direction'))) channel.muted.add(d);
    }),
    'channels.unmute': simple((channel, args) => {
      for (const d of muteDirections(args.str('direction'))) channel.muted.delete(d);
    }),
    'channels.hold': simple((channel) => {
      channel.held = true;
      core.emit(channel, 'ChannelHold');
    }),
    'channels.unhold': simple((channel) => {
      channel.held = false;
      core.emit(channel, 'ChannelUnhold');
    }),
    'channels.startMoh': simple((channel, args) => {
      channel.moh = args.str('mohClass') ?? 'default';
    }),
    'channels.stopMoh': simple((channel) => {
      channel.moh = undefined;
    }),
    'channels.startSilence': simple(() => undefined),
    'channels.stopSilence': simple(() => undefined),
    'channels.play': (args) => play(args, args.str('playbackId')),
    'channels.playWithId': (args) => play(args, args.req('playbackId')),
    'channels.getChannelVar': (args) => {
      const channel = find(args);
      const value = channel.vars.get(args.req('variable'));
      if (value === undefined)
        throw new SimRestError(404, 'sim-variable-not-found', 'Provided variable was not found');
      return { status: 200, body: { value } };
    },
    'channels.setChannelVar': (args) => {
      const channel = find(args);
      const variable = args.req('variable');
      const value = args.str('value') ?? '';
      channel.vars.set(variable, value);
      core.emit(channel, 'ChannelVarset', { variable, value });
      return NO_CONTENT;
    },
    'channels.snoopChannel': (args) => snoop(args, args.str('snoopId')),
    'channels.snoopChannelWithId': (args) => snoop(args, args.req('snoopId')),
    'channels.dial': (args) => {
      const channel = inStasis(args);
      dialCreated(core, channel, args.str('caller'), args.int('timeout'));
      return NO_CONTENT;
    },
  };
}

/** The directions a mute request names (Asterisk: `both` when absent, 400 for anything else). */
function muteDirections(direction: string | undefined): ('in' | 'out')[] {
  switch (direction ?? 'both') {
    case 'in':
      return ['in'];
    case 'out':
      return ['out'];
    case 'both':
      return ['in', 'out'];
    default:
      throw badRequest('Invalid direction specified');
  }
}
