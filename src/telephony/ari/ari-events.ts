import { z } from 'zod';
import { SIP_CALL_ID_VARIABLE } from '../sip-call-id.ts';

/**
 * zod schemas of the ARI events the engine acts on, checked as they arrive (the edge). An event
 * missing what identifies it (a channel or playback id, an endpoint) or carrying an id that
 * could not be one is rejected, naming the field. A field that only describes the call (caller
 * id, dialed extension, state) is left out when its value is wrong and the event is kept, so a
 * citizen's call is still served: the reading lists those fields.
 */

/**
 * Channel and playback ids: Asterisk's (`1795501074.0`) and the engine's (`1795501074.0-p3`).
 * They go into REST paths, so nothing else is taken.
 */
const ariId = z.string().regex(/^[A-Za-z0-9._:@-]{1,150}$/, 'not an ARI id (1-150 of A-Z a-z 0-9 . _ : @ -)');

/** Fields left out while the event being read is parsed (parsing is synchronous). */
let leftOut: string[] = [];

/** A descriptive field: a wrong value is left out, and noted, instead of rejecting the event. */
/** The carrier's SIP Call-ID as ari.conf's channelvars show it ('' on a channel the dialplan gave none). */
export const sipCallIdSchema = z.string().max(256);

function described<T extends z.ZodType>(schema: T, field: string) {
  return schema.optional().catch(() => {
    leftOut.push(field);
    return undefined;
  });
}

const channel = z.object({ id: ariId });

const stasisStart = z.object({
  type: z.literal('StasisStart'),
  application: described(z.string().min(1).max(80), 'application'),
  args: described(z.array(z.string().max(80)).max(20), 'args'),
  channel: z.object({
    id: ariId,
    state: described(z.string().max(40), 'channel.state'),
    caller: described(
      z.object({
        number: described(z.string().max(80), 'channel.caller.number'),
        name: described(z.string().max(256), 'channel.caller.name'),
      }),
      'channel.caller',
    ),
    dialplan: described(
      z.object({ exten: described(z.string().max(80), 'channel.dialplan.exten') }),
      'channel.dialplan',
    ),
    /** ari.conf's channelvars: the carrier's SIP Call-ID of a call (several nodes, AttemptGate). */
    channelvars: described(
      z.object({
        [SIP_CALL_ID_VARIABLE]: described(sipCallIdSchema, `channel.channelvars.${SIP_CALL_ID_VARIABLE}`),
      }),
      'channel.channelvars',
    ),
  }),
});

const channelDestroyed = z.object({
  type: z.literal('ChannelDestroyed'),
  channel,
  cause: described(z.number().int().min(0).max(65535), 'cause'),
  cause_txt: described(z.string().max(200), 'cause_txt'),
});

const stasisEnd = z.object({
  type: z.literal('StasisEnd'),
  channel,
});

/** `cause` is absent when the far end hung up (BYE); `soft` is set for a hangup asked through ARI. */
const hangupRequest = z.object({
  type: z.literal('ChannelHangupRequest'),
  channel,
  cause: described(z.number().int().min(0).max(65535), 'cause'),
  soft: described(z.boolean(), 'soft'),
});

const dtmfReceived = z.object({
  type: z.literal('ChannelDtmfReceived'),
  channel,
  digit: z.string().regex(/^[0-9A-Da-d*#]$/, 'not a DTMF digit (0-9 * # A-D)'),
});

const playbackFinished = z.object({
  type: z.literal('PlaybackFinished'),
  playback: z.object({ id: ariId, state: described(z.string().max(40), 'playback.state') }),
});

const endpointStateChange = z.object({
  type: z.literal('EndpointStateChange'),
  endpoint: z.object({
    technology: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a channel technology'),
    resource: z.string().regex(/^[^/\s]{1,150}$/, 'not an endpoint resource'),
    state: z.string().max(40),
  }),
});

const applicationReplaced = z.object({
  type: z.literal('ApplicationReplaced'),
  application: described(z.string().max(80), 'application'),
});

const schemas = {
  StasisStart: stasisStart,
  StasisEnd: stasisEnd,
  ChannelHangupRequest: hangupRequest,
  ChannelDestroyed: channelDestroyed,
  ChannelDtmfReceived: dtmfReceived,
  PlaybackFinished: playbackFinished,
  EndpointStateChange: endpointStateChange,
  ApplicationReplaced: applicationReplaced,
};

type UsedEventType = keyof typeof schemas;
export type UsedAriEvent = { [K in UsedEventType]: z.output<(typeof schemas)[K]> }[UsedEventType];

export type AriEventReading =
  /** An event the engine does not act on. */
  | { kind: 'unused' }
  | { kind: 'rejected'; field: string; problem: string }
  /** `leftOut`: descriptive fields whose values were wrong and are treated as absent. */
  | { kind: 'event'; event: UsedAriEvent; leftOut: string[] };

function isUsed(type: string): type is UsedEventType {
  return Object.hasOwn(schemas, type);
}

/** Checks an event (already JSON-parsed) against the schema of its type. */
export function readAriEvent(e: unknown): AriEventReading {
  if (typeof e !== 'object' || e === null || Array.isArray(e))
    return { kind: 'rejected', field: '', problem: 'not a JSON object' };
  const type = (e as { type?: unknown }).type;
  if (typeof type !== 'string') return { kind: 'rejected', field: 'type', problem: 'expected a string' };
  if (!isUsed(type)) return { kind: 'unused' };
  leftOut = [];
  const result = schemas[type].safeParse(e);
  const fields = leftOut;
  leftOut = [];
  if (result.success) return { kind: 'event', event: result.data, leftOut: fields };
  const issue = result.error.issues[0];
  return {
    kind: 'rejected',
    field: issue ? issue.path.map(String).join('.') : '',
    problem: issue?.message ?? 'invalid',
  };
}
