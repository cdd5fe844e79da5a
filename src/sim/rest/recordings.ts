import type { SimCore } from '../core.ts';
import { recordingsOf } from '../recording.ts';
import type { Handler } from './router.ts';

/** Handlers for `/recordings/...` (live and stored recordings; bridges record in bridges.ts). */
export function recordingHandlers(core: SimCore): Record<string, Handler> {
  const recordings = recordingsOf(core);
  return {
    'recordings.listStored': () => ({ status: 200, body: recordings.listStored() }),
    'recordings.getStored': (args) => ({
      status: 200,
      body: recordings.getStored(args.req('recordingName')),
    }),
    'recordings.deleteStored': (args) => {
      recordings.deleteStored(args.req('recordingName'));
      return { status: 204 };
    },
    'recordings.getStoredFile': (args) => ({
      status: 200,
      file: { type: 'audio/wav', data: recordings.file(args.req('recordingName')) },
    }),
    'recordings.getLive': (args) => ({ status: 200, body: recordings.getLive(args.req('recordingName')) }),
    'recordings.cancel': (args) => {
      recordings.cancel(args.req('recordingName'));
      return { status: 204 };
    },
    'recordings.stop': (args) => {
      recordings.stop(args.req('recordingName'));
      return { status: 204 };
    },
  };
}
