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
import { diffFiles } from '../admin/line-diff.ts';
import type { RulesAdmin } from '../admin/rules-admin.ts';
import type { RulesVersion } from '../admin/rules-versions.ts';
import { DialedInput } from '../plan/dialed.ts';
import { type RuleProblem, RulesInvalidError } from '../plan/problems.ts';
import { diffRules, readRuleSet } from '../plan/rules-diff.ts';
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
export const PublishPreviewBody = z.object({ files: DraftFilesSchema }).strict();
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

const versionOf = (v: RulesVersion) => ({
  version: v.version,
  author: v.author,
  at: v.at,
  ...(v.message ? { message: v.message } : {}),
  ...(v.rollbackOf !== undefined ? { rollbackOf: v.rollbackOf } : {}),
});

/**
 * What publishing `files` over the live version would change: the rules diff (lines, groups and
 * their phases, menus, pools …, see rules-diff.ts) and the files' line counts. `baseVersion` is
 * the live version the diff is against: sent back with the publication, a version published in
 * between is refused (409) instead of being silently replaced.
 */
function preview(
  live: RulesVersion,
  files: Readonly<Record<string, string>>,
  after: ReturnType<typeof readRuleSet> = readRuleSet(files),
) {
  const before = readRuleSet(live.files);
  const problems: RuleProblem[] = [...before.problems, ...after.problems];
  if (problems.length > 0) throw new RulesInvalidError(problems);
  return {
    baseVersion: live.version,
    from: versionOf(live),
    diff: diffRules(before.rules, after.rules),
    files: diffFiles(live.files, files)
      .filter((d) => d.status !== 'unchanged')
      .map(({ file, status, added, removed }) => ({ file, status, added, removed })),
  };
}

/** Rules files may be large; everything else keeps the API's small body limit. */
const bodyLimit = 8 * 1024 * 1024;

/**
 * The rules administration API: the live version, history with diffs, validate and explain a
 * draft, preview what publishing it or rolling back would change, publish (hot reload: new calls
 * use it at once, calls in progress finish on theirs), roll back (each change goes to the audit
 * log). The author of a change is the token's id.
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

  // A draft's publication previewed: it is checked first (in a worker, within the draft budget),
  // so only a draft that could be published is diffed; its warnings come with the diff.
  app.post('/rules/publish/preview', { bodyLimit }, async (req) => {
    const { files } = parseDraft(PublishPreviewBody, req.body);
    const checked = await rules.validate(files);
    if (checked.problems.length > 0) throw new RulesInvalidError(checked.problems);
    const draft = readRuleSet(files);
    const centerId = rules.plan.center.id;
    const draftCenter = [...(draft.rules.get('center')?.keys() ?? [])][0];
    if (draftCenter !== undefined && draftCenter !== centerId) {
      throw new RulesInvalidError([
        { file: '', path: 'center.id', message: `must stay "${centerId}" (this engine serves that center)` },
      ]);
    }
    return { ...preview(rules.version, files, draft), to: { draft: true }, warnings: checked.warnings };
  });

  // A rollback previewed: the live version against the files of version n.
  app.get('/rules/versions/:n/rollback/preview', async (req) => {
    const { n } = parse(VersionParams, 'params', req.params);
    const target = await rules.get(n);
    return { ...preview(rules.version, target.files), to: versionOf(target), warnings: [] };
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
