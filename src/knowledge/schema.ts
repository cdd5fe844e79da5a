import { z } from 'zod';

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and -');

/** One standard answer (标准答复) of the knowledge base, for the calls of some lines or topics. */
export const StandardAnswer = z
  .object({
    id: Id,
    /** What the agent sees first (Chinese). */
    title: z.string().trim().min(1).max(80),
    /** The answer to give (Chinese). */
    text: z.string().trim().min(1).max(2000),
    /** Line ids (lines.yaml) whose calls it answers. */
    lines: z.array(z.string().min(1).max(64)).min(1).optional(),
    /** Topics (the lines' topics, the agent skills) whose calls it answers. */
    topics: z.array(z.string().min(1).max(64)).min(1).optional(),
    /** The document the wording comes from. */
    source: z.string().trim().min(1).max(300),
  })
  .strict();
export type StandardAnswer = z.infer<typeof StandardAnswer>;

/** The knowledge-base file: `answers:`, ids unique. */
export const KnowledgeFile = z
  .object({ answers: z.array(StandardAnswer).max(500) })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.answers.forEach((a, i) => {
      if (seen.has(a.id))
        ctx.addIssue({ code: 'custom', path: ['answers', i, 'id'], message: `"${a.id}" is used twice` });
      seen.add(a.id);
    });
  });
export type KnowledgeFile = z.infer<typeof KnowledgeFile>;
