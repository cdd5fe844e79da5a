import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import {
  DraftFilesSchema,
  DraftsBusyError,
  DraftTooComplexError,
  DraftTooLargeError,
  maxDraftFileBytes,
  oversizedFile,
} from '../admin/draft.ts';
import type { RulesAdmin } from '../admin/rules-admin.ts';
import type { RulesVersion } from '../admin/rules-versions.ts';
import { DialedInput } from '../plan/dialed.ts';
import { invalidRequest, sendError } from './errors.ts';

export interface RulesApiOptions {
  rules: RulesAdmin;
}

export const ExplainBody = z
  .object({
    /** As people write it (+86, area code, spaces, dashes): explain shows how it was read. */
    number: DialedInput,
    at: z.string().max(40).optional(),
    digits: z
      .string()
      .regex(/^[0-9*#T]{0,32}$/, 'keys 0-9 * # and T (a menu timing out)')
      .optional(),
    caller: z.string().max(32).optional(),
    files: DraftFilesSchema.optional(),
  })
  .strict();
export const ValidateBody = z.object({ files: DraftFilesSchema }).strict();
export const PublishBody = z
  .object({
    files: DraftFilesSchema,
    message: z.string().trim().max(500).optional(),
    baseVersion: z.number().int().min(1).optional(),
  })
  .strict();
export const RollbackBody = z
  .object({
    message: z.string().trim().max(500).optional(),
    baseVersion: z.number().int().min(1).optional(),
  })
  .strict();
const VersionParams = z.object({ n: z.coerce.number().int().min(1) });

/**
 * A draft's files, each at most `maxDraftFileBytes` (413 before anything else is looked at), then
 * the body checked against its schema.
 */
function parseDraft<T>(schema: z.ZodType<T>, body: unknown): T {
  const files = (body as { files?: unknown } | null)?.files;
  if (files && typeof files === 'object') {
    const name = oversizedFile(files as Record<string, unknown>);
    if (name !== undefined) throw new DraftTooLargeError(name.slice(0, 80), maxDraftFileBytes);
  }
  return parse(schema, 'body', body);
}

function parse<T>(schema: z.ZodType<T>, part: string, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidRequest(part, r.error);
  return r.data;
}

const published = (r: { version: RulesVersion; diff: unknown }) => ({
  version: r.version.version,
  author: r.version.author,
  at: r.version.at,
  message: r.version.message,
  rollbackOf: r.version.rollbackOf,
  diff: r.diff,
});

/** Rules files may be large; everything else keeps the API's small body limit. */
const bodyLimit = 8 * 1024 * 1024;

/**
 * The rules administration API: the live version, history with diffs, validate and explain a
 * draft, publish (hot reload: new calls use it at once, calls in progress finish on theirs),
 * roll back (each change goes to the audit log). The author of a change is the token's id.
 */
export const rulesApi: FastifyPluginAsync<RulesApiOptions> = async (app, { rules }) => {
  // The catalogue, and drafts refused for a limit: `{ error, message, limit, problems? }`.
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof DraftTooComplexError) {
      return reply.code(err.statusCode).send({
        error: err.code,
        message: err.message,
        limit: err.limit,
        ...(err.problems.length > 0 ? { problems: err.problems } : {}),
      });
    }
    if (err instanceof DraftTooLargeError) {
      return reply
        .code(err.statusCode)
        .send({ error: err.code, message: err.message, limit: err.limit, field: `body.files.${err.file}` });
    }
    if (err instanceof DraftsBusyError) {
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    }
    return sendError(err, request, reply);
  });
  const author = (req: { principal?: { tokenId: string } }) => req.principal?.tokenId ?? 'unknown';

  app.get('/rules', async () => {
    const v = rules.version;
    return {
      version: v.version,
      author: v.author,
      at: v.at,
      message: v.message,
      rollbackOf: v.rollbackOf,
      center: { id: rules.plan.center.id, name: rules.plan.center.name },
      serviceLevelSeconds: rules.plan.center.serviceLevelSeconds,
      files: v.files,
    };
  });

  app.get('/rules/versions', async () => ({ live: rules.version.version, versions: await rules.history() }));

  app.get('/rules/versions/:n', async (req) => {
    const { n } = parse(VersionParams, 'params', req.params);
    return rules.get(n);
  });

  app.post('/rules/validate', { bodyLimit }, async (req) => {
    const { files } = parseDraft(ValidateBody, req.body);
    const r = await rules.validate(files);
    return { valid: r.problems.length === 0, problems: r.problems, warnings: r.warnings };
  });

  app.post('/rules/explain', { bodyLimit }, async (req) => {
    const { files, ...query } = parseDraft(ExplainBody, req.body);
    return {
      against: files ? 'draft' : `version ${rules.version.version}`,
      explanation: await rules.explain(query, files),
    };
  });

  app.post('/rules/publish', { bodyLimit }, async (req, reply) => {
    const body = parseDraft(PublishBody, req.body);
    const r = await rules.publish(body.files, author(req), {
      ...(body.message ? { message: body.message } : {}),
      ...(body.baseVersion !== undefined ? { baseVersion: body.baseVersion } : {}),
    });
    return reply.code(201).send(published(r));
  });

  app.post('/rules/versions/:n/rollback', async (req, reply) => {
    const { n } = parse(VersionParams, 'params', req.params);
    const body = parse(RollbackBody, 'body', req.body);
    const r = await rules.rollback(n, author(req), {
      ...(body.message ? { message: body.message } : {}),
      ...(body.baseVersion !== undefined ? { baseVersion: body.baseVersion } : {}),
    });
    return reply.code(201).send(published(r));
  });
};
