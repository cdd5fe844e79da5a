import { z } from 'zod';

/**
 * The prompt manifest (`ivr-prompts/manifest.yaml`): every prompt id the plans may play, with
 * its Chinese text and, once rendered, the audio file (8 kHz mono 16-bit WAV) and its duration.
 */
export const PromptEntry = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lowercase letters, digits and dashes'),
    text: z.string().min(1),
    /** Audio file, relative to the manifest's folder, without extension in Asterisk's media URI. */
    file: z
      .string()
      .regex(/^[a-z0-9][a-z0-9/_-]*\.wav$/, 'must be a relative .wav path')
      .optional(),
    durationMs: z.number().int().positive().optional(),
  })
  .strict();

export const PromptManifest = z
  .object({
    prompts: z.array(PromptEntry).min(1),
  })
  .strict();

export type PromptEntry = z.infer<typeof PromptEntry>;
export type PromptManifest = z.infer<typeof PromptManifest>;
