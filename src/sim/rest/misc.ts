import type { SimCore } from '../core.ts';
import { badRequest, endpointNotFound, playbackNotFound, SimRestError } from '../errors.ts';
import { controlPlayback, stopPlayback } from '../media.ts';
import type { SimPlayback } from '../model/playback.ts';
import { asteriskTime } from '../time.ts';
import type { Args, Handler } from './router.ts';

/** Handlers for `/playbacks`, `/endpoints` and `/asterisk`. */
export function miscHandlers(core: SimCore, startedAt: number): Record<string, Handler> {
  const findPlayback = (args: Args): SimPlayback => {
    const playback = core.playbacks.get(args.req('playbackId'));
    if (!playback) throw playbackNotFound();
    return playback;
  };
  const started = asteriskTime(startedAt);
  return {
    'playbacks.get': (args) => ({ status: 200, body: findPlayback(args).toJSON() }),
    'playbacks.stop': (args) => {
      stopPlayback(core, findPlayback(args));
      return { status: 204 };
    },
    'playbacks.control': (args) => {
      controlPlayback(core, findPlayback(args), args.req('operation'));
      return { status: 204 };
    },
    'endpoints.list': () => ({ status: 200, body: core.endpoints.list() }),
    'endpoints.listByTech': (args) => {
      const list = core.endpoints.list(args.req('tech'));
      if (list.length === 0) throw new SimRestError(404, 'sim-endpoint-not-found', 'Endpoints not found');
      return { status: 200, body: list };
    },
    'endpoints.get': (args) => {
      const json = core.endpoints.json(`${args.req('tech')}/${args.req('resource')}`);
      if (!json) throw endpointNotFound();
      return { status: 200, body: json };
    },
    'asterisk.getInfo': () => ({
      status: 200,
      body: {
        build: {
          os: 'Linux',
          kernel: 'simulated',
          machine: 'x86_64',
          options: '',
          date: '',
          user: 'hotline-sim',
        },
        system: { version: '22.10.1', entity_id: core.options.asteriskId },
        config: { name: 'hotline-sim', default_language: 'en', setid: { user: '', group: '' } },
        status: { startup_time: started, last_reload_time: started },
      },
    }),
    'asterisk.ping': () => ({
      status: 200,
      body: {
        asterisk_id: core.options.asteriskId,
        ping: 'pong',
        timestamp: asteriskTime(core.timers.now()),
      },
    }),
    'asterisk.getGlobalVar': (args) => ({
      status: 200,
      body: { value: core.globalVars.get(args.req('variable')) ?? '' },
    }),
    'asterisk.setGlobalVar': (args) => {
      const variable = args.req('variable');
      if (variable.length === 0) throw badRequest('Missing variable parameter.');
      core.globalVars.set(variable, args.str('value') ?? '');
      return { status: 204 };
    },
  };
}
