import { z } from 'zod';
import { SimControlError } from './errors.ts';

/** zod schemas of the control API (programmatic and `/sim` HTTP alike). */
const ms = z.number().finite().nonnegative();
const digits = z.string().regex(/^[0-9*#A-Da-d]+$/, 'DTMF digits only (0-9 * # A-D)');

export const callerStepSchema = z.union([
  z.strictObject({ wait: ms }),
  z.strictObject({ dtmf: digits, gapMs: ms.optional(), durationMs: ms.optional() }),
  z.strictObject({ hangup: z.literal(true) }),
  z.strictObject({ waitForEvent: z.enum(['answered', 'bridged', 'playback']), timeoutMs: ms.optional() }),
]);

export const injectCallSchema = z.strictObject({
  app: z.string().min(1),
  dialed: z.string().min(1),
  // Empty when the caller withholds their number, as a real trunk delivers it.
  callerNumber: z.string().max(80),
  callerName: z.string().optional(),
  script: z.array(callerStepSchema).optional(),
  startOn: z.enum(['answer', 'enter']).optional(),
  // The carrier's SIP Call-ID, as the project's dialplan hands it to ARI (HOTLINE_SIP_CALL_ID in
  // ari.conf's channelvars) on a node behind the SIP edge.
  sipCallId: z.string().min(1).max(256).optional(),
  dialplan: z
    .strictObject({
      apps: z.array(z.string().min(1)).optional(),
      rounds: z.number().int().min(1).max(10),
      waitMs: ms,
    })
    .optional(),
});

export const endpointStringSchema = z.string().regex(/^[A-Za-z0-9_-]+\/[^/\s]+$/, 'expected TECH/resource');

export const endpointSettingsSchema = z.strictObject({
  behaviour: z.enum(['answer', 'busy', 'no-answer', 'unreachable']),
  answerAfterMs: ms.optional(),
  hangupAfterMs: ms.optional(),
  online: z.boolean().optional(),
  dtmfAfterAnswer: digits.optional(),
  callerName: z.string().optional(),
  callerNumber: z.string().optional(),
  context: z.string().min(1).optional(),
});

export const failRestSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'DELETE']).optional(),
  pathPrefix: z.string().startsWith('/').optional(),
  status: z.union([z.literal(404), z.literal(409), z.literal(500), z.literal(503)]),
  count: z.number().int().positive().default(1),
});

export const hangupSchema = z.strictObject({ cause: z.number().int().min(0).max(127).optional() });
export const dtmfSchema = z.strictObject({ digits, gapMs: ms.optional() });
export const dropSchema = z.strictObject({ app: z.string().min(1).optional() });
export const refuseSchema = z.strictObject({ ms });

export const simulatorOptionsSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  users: z.record(z.string(), z.string()).default({ hotline: 'hotline' }),
  timeScale: z.number().finite().positive().default(1),
  promptDurations: z.record(z.string(), ms).default({}),
  defaultPlaybackMs: ms.default(3000),
  asteriskId: z.string().min(1).default('02:fc:00:00:5e:01'),
  /** Asterisk's `systemname`: unique ids become `<name>-<epoch>.<seq>` (several nodes). */
  systemName: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,15}$/)
    .optional(),
  safetyNetSpool: z.string().min(1).optional(),
});

/** Parses `value` or throws a 400 SimControlError naming the offending field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? issue.path.map(String).join('.') : '';
  const field = prefix && path ? `${prefix}.${path}` : prefix || path;
  const message = `${field || 'input'}: ${issue?.message ?? 'invalid'}`;
  throw new SimControlError('sim-invalid-input', message, 400, field || undefined);
}

/** `POST /sim/batch`: control requests (paths under `/sim`) run in order, each as if sent alone. */
export const batchSchema = z.strictObject({
  ops: z
    .array(
      z.strictObject({
        method: z.enum(['GET', 'POST']),
        path: z.string().startsWith('/'),
        body: z.unknown().optional(),
      }),
    )
    .max(2000),
});
