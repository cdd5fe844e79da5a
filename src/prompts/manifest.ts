import { z } from 'zod';

/**
 * The prompt manifest (`ivr-prompts/manifest.yaml`): every prompt id the plans may play.
 *
 * An entry is either **recorded**: its Chinese `text` and, once rendered, the audio `file`
 * (8 kHz mono 16-bit WAV) and its `durationMs`; or **composed**: `say`, a list of recorded
 * entries and parameters, played in order. The parameters are filled from the call:
 * `{number}` is the dialed line's number read digit by digit (1 as 幺), `{until}` the date the
 * call's current phase ends, in the plan's time zone (二〇二一年十月一日). A composed prompt has no
 * file of its own; its parts have (see expand.ts).
 *
 * `centers` names the plans (their `center.id`) an entry is written for: only those report it
 * when none of their rules plays it. An entry without `centers` is for every plan.
 */

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The parameters a composed prompt may say, with what each is. */
export const PROMPT_PARAMETERS = {
  '{number}': "the dialed line's number, digit by digit (1 as 幺)",
  '{until}': "the date the call's phase ends, in the plan's time zone",
} as const;
export type PromptParameter = keyof typeof PROMPT_PARAMETERS;

export function isPromptParameter(item: string): item is PromptParameter {
  return Object.hasOwn(PROMPT_PARAMETERS, item);
}

const PromptId = z.string().regex(ID, 'must be lowercase letters, digits and dashes');

const SayItem = z
  .string()
  .refine(
    (s) => ID.test(s) || isPromptParameter(s),
    `must be a prompt id or a parameter (${Object.keys(PROMPT_PARAMETERS).join(', ')})`,
  );

export const PromptEntry = z
  .object({
    id: PromptId,
    text: z.string().min(1).optional(),
    /** A composed prompt: recorded prompts and parameters, in the order they are played. */
    say: z.array(SayItem).min(1).max(32).optional(),
    /** Audio file, relative to the manifest's folder, without extension in Asterisk's media URI. */
    file: z
      .string()
      .regex(/^[a-z0-9][a-z0-9/_-]*\.wav$/, 'must be a relative .wav path')
      .optional(),
    durationMs: z.number().int().positive().optional(),
    /** The plans (center ids) this prompt is written for; absent: every plan. */
    centers: z.array(PromptId).min(1).optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.say === undefined && entry.text === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['text'],
        message: 'is required (or `say` for a composed prompt)',
      });
    }
    if (entry.say !== undefined) {
      for (const key of ['text', 'file', 'durationMs'] as const) {
        if (entry[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'a composed prompt (`say`) has no text or audio of its own: its parts have',
          });
        }
      }
    }
  });

export const PromptManifest = z
  .object({
    prompts: z.array(PromptEntry).min(1),
  })
  .strict();

export type PromptEntry = z.infer<typeof PromptEntry>;
export type PromptManifest = z.infer<typeof PromptManifest>;

/** Whether an entry is composed of other prompts and parameters. */
export function isComposed(entry: PromptEntry): entry is PromptEntry & { say: string[] } {
  return entry.say !== undefined;
}
