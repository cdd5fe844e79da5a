import { Transform } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccessLedger } from '../admin/ledgers.ts';
import { parseRecordingName } from '../calls/core/recording-name.ts';
import type { Clock } from '../clock.ts';
import { HotlineError } from '../errors.ts';
import type { Recordings } from '../recordings/recordings.ts';
import { ledgerRead } from './auth.ts';
import { invalidRequest } from './errors.ts';

export interface RecordingsApiOptions {
  /** Absent with RECORDING=off: the list is empty and says so, no recording is found. */
  recordings?: Recordings;
  ledger: AccessLedger;
  clock: Clock;
}

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const RecordingParams = z.object({
  id: z
    .string()
    .max(200)
    .refine((id) => parseRecordingName(id) !== undefined, 'not a recording id (hotline-<time>-<call>-r<n>)'),
});

function parse<T>(schema: z.ZodType<T>, part: string, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidRequest(part, r.error);
  return r.data;
}

/** `Range: bytes=a-b` (one range) against `size` bytes: the first and last byte, or 'bad'. */
export function byteRange(header: string, size: number): { start: number; end: number } | 'bad' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'bad';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'bad' : { start, end };
}

/** Passes bytes `start`..`end` (inclusive) of a stream on. */
function slice(start: number, end: number): Transform {
  let at = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(0, start - at);
      const to = Math.min(chunk.length, end + 1 - at);
      at += chunk.length;
      done(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}

/**
 * Call recordings for supervisors (质检, disputes): the recorded calls kept (callers masked) and
 * each recording's audio, streamed through the API from the PBX's stored recordings (one byte
 * range when asked). Every list and every playback is written to the access ledger. The routes
 * are served with recording off too (an empty list that says so).
 */
export const recordingsApi: FastifyPluginAsync<RecordingsApiOptions> = async (
  app,
  { recordings, ledger, clock },
) => {
  app.get('/recordings', async (req) => {
    const { limit } = parse(ListQuery, 'query', req.query);
    if (!recordings) return { recording: 'off', recordings: [] };
    const list = await recordings.list(limit);
    await ledgerRead(
      ledger,
      req,
      list.map((e) => e.callId),
      clock.now(),
    );
    return { recording: 'on', recordings: list };
  });

  app.get('/recordings/:id', async (req, reply) => {
    const { id } = parse(RecordingParams, 'params', req.params);
    const audio = await recordings?.audio(id);
    if (!audio) throw new HotlineError('no-such-recording', `no recording "${id}"`);
    await playedBack(ledger, req, id, recordings?.callIdOf(id), clock.now());
    const size = audio.length;
    const range =
      req.headers.range !== undefined && size !== undefined ? byteRange(req.headers.range, size) : undefined;
    if (range === 'bad') {
      audio.stream.destroy();
      reply.header('content-range', `bytes */${size}`);
      throw new HotlineError('range-not-satisfiable', `the range is not within the ${size} bytes`);
    }
    reply.headers({
      'content-type': 'audio/wav',
      'content-disposition': `inline; filename="${id}.wav"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(size !== undefined ? { 'accept-ranges': 'bytes' } : {}),
    });
    if (!range) {
      if (size !== undefined) reply.header('content-length', size);
      return reply.code(200).send(audio.stream);
    }
    reply.headers({
      'content-range': `bytes ${range.start}-${range.end}/${size}`,
      'content-length': range.end - range.start + 1,
    });
    return reply.code(206).send(audio.stream.pipe(slice(range.start, range.end)));
  });
};

/** A playback in the access ledger: who played which recording of which call, when, from where. */
async function playedBack(
  ledger: AccessLedger,
  req: FastifyRequest,
  name: string,
  callId: string | undefined,
  now: number,
): Promise<void> {
  const p = req.principal;
  if (!p) return;
  await ledger.append({
    at: new Date(now).toISOString(),
    tokenId: p.tokenId,
    role: p.role,
    method: req.method,
    route: req.routeOptions.url ?? req.url,
    callIds: callId ? [callId] : [],
    address: req.ip,
    recording: name,
  });
}
