import { addChannels, createBridge, destroyBridge, removeChannels } from '../bridging.ts';
import type { SimCore } from '../core.ts';
import { badRequest, bridgeNotFound } from '../errors.ts';
import { playbackResponse, startPlay } from '../media.ts';
import type { SimBridge } from '../model/bridge.ts';
import { recordingsOf } from '../recording.ts';
import type { Args, Handler, RestReply } from './router.ts';

/** Handlers for `/bridges/...`. */
export function bridgeHandlers(core: SimCore): Record<string, Handler> {
  const find = (args: Args): SimBridge => {
    const bridge = core.bridges.get(args.req('bridgeId'));
    if (!bridge) throw bridgeNotFound();
    return bridge;
  };
  const create = (args: Args, bridgeId: string | undefined): RestReply => {
    const bridge = createBridge(core, { bridgeId, type: args.str('type'), name: args.str('name') });
    return { status: 200, body: bridge.toJSON() };
  };
  const play = (args: Args, playbackId: string | undefined): RestReply => {
    const media = args.list('media');
    if (media.length === 0) throw badRequest('Missing required parameter: media');
    const playback = startPlay(core, find(args), media, playbackId, args.str('lang'));
    return { status: 201, body: playbackResponse.get(playback) ?? playback.toJSON() };
  };
  return {
    'bridges.list': () => ({ status: 200, body: [...core.bridges.values()].map((b) => b.toJSON()) }),
    'bridges.create': (args) => create(args, args.str('bridgeId')),
    'bridges.createWithId': (args) => {
      const existing = core.bridges.get(args.req('bridgeId'));
      if (existing) return { status: 200, body: existing.toJSON() };
      return create(args, args.req('bridgeId'));
    },
    'bridges.get': (args) => ({ status: 200, body: find(args).toJSON() }),
    'bridges.destroy': (args) => {
      destroyBridge(core, find(args));
      return { status: 204 };
    },
    'bridges.addChannel': (args) => {
      const bridge = find(args);
      addChannels(core, bridge, args.list('channel'));
      return { status: 204 };
    },
    'bridges.removeChannel': (args) => {
      const bridge = find(args);
      removeChannels(core, bridge, args.list('channel'));
      return { status: 204 };
    },
    'bridges.startMoh': (args) => {
      find(args).moh = args.str('mohClass') ?? 'default';
      return { status: 204 };
    },
    'bridges.stopMoh': (args) => {
      find(args).moh = undefined;
      return { status: 204 };
    },
    'bridges.play': (args) => play(args, args.str('playbackId')),
    'bridges.playWithId': (args) => play(args, args.req('playbackId')),
    'bridges.record': (args) => {
      const recording = recordingsOf(core).recordBridge(find(args), {
        name: args.str('name'),
        format: args.str('format'),
        ifExists: args.str('ifExists'),
        maxSilenceSeconds: args.int('maxSilenceSeconds'),
      });
      return { status: 201, body: recording };
    },
  };
}
