import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { HotlineError } from '../errors.ts';

/**
 * API tokens. A token reads `hl.<id>.<secret>` (43 base64url characters of secret, 256 bits): the id
 * says which entry to check, the secret is only ever kept hashed, as `sha256:<hex>` of the whole
 * token. A random 256-bit secret needs no slow hash (nothing to brute-force), and a check must cost
 * microseconds: every request carries a token, and an attacker chooses how many wrong ones to send.
 * Tokens files are YAML:
 *   tokens:
 *     - { id: ops-admin, role: admin, hash: "sha256:…" }
 *     - { id: agent1001, role: agent, agentId: agent1001, hash: "sha256:…" }
 *     - { id: sup-wang, role: supervisor, endpoint: PJSIP/sup9001, hash: "sha256:…" }
 * A supervisor's (or administrator's) `endpoint` is their own phone: monitoring a call (监听 / 耳语 /
 * 强插) calls it, and such a token may monitor from no other phone.
 * Entries hashed with scrypt (older files) are refused when the file is read, with the command that
 * re-issues them: checking one cost tens of milliseconds of the engine's only thread per attempt.
 */
export const roles = ['admin', 'supervisor', 'agent'] as const;
export type Role = (typeof roles)[number];

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const hashPattern = /^sha256:[0-9a-f]{64}$/;

export const TokenEntrySchema = z
  .object({
    id: z.string().regex(idPattern, 'letters, digits, _ and -'),
    role: z.enum(roles),
    agentId: z.string().regex(idPattern).optional(),
    endpoint: z
      .string()
      .regex(/^PJSIP\/[A-Za-z0-9_.-]{1,64}$/, "a phone of this PBX, like 'PJSIP/sup9001'")
      .optional(),
    hash: z.string(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.hash.startsWith('scrypt:')) {
      const agent = t.role === 'agent' ? ` --agent ${t.agentId ?? t.id}` : '';
      ctx.addIssue({
        code: 'custom',
        path: ['hash'],
        message:
          'scrypt hashes are no longer accepted (checking one cost the engine tens of milliseconds per ' +
          `attempt); re-issue this token with \`hotline token --id ${t.id} --role ${t.role}${agent}\`, ` +
          'replace this entry with the line it prints and give the new token to its holder',
      });
    } else if (!hashPattern.test(t.hash)) {
      ctx.addIssue({ code: 'custom', path: ['hash'], message: 'sha256:<64 hex digits>' });
    }
    if (t.role === 'agent' && t.agentId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['agentId'], message: 'an agent token names its agentId' });
    }
  });
export type TokenEntry = z.infer<typeof TokenEntrySchema>;

export const TokensFileSchema = z.object({ tokens: z.array(TokenEntrySchema) }).strict();

/** Who made a request, once its token checked out. */
export interface Principal {
  tokenId: string;
  role: Role;
  agentId?: string;
  /** The token holder's own phone (supervisors: where monitoring calls them). */
  endpoint?: string;
}

export class TokensFileError extends HotlineError {
  constructor(message: string) {
    super('invalid-tokens-file', message);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Hashes a token for the tokens file. */
export function hashToken(token: string): string {
  return `sha256:${sha256(token).toString('hex')}`;
}

/** A new random token for the given id. */
export function newToken(id: string): string {
  if (!idPattern.test(id)) throw new TokensFileError(`token id "${id}": letters, digits, _ and -`);
  return `hl.${id}.${randomBytes(32).toString('base64url')}`;
}

const tokenPattern = /^hl\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{20,128})$/;

/**
 * The tokens an API accepts. A check hashes the presented token once (SHA-256, about a microsecond)
 * and compares it in constant time with the entry its id names, or with a hash no token has when
 * the id is unknown: an unknown id and a wrong secret cost the same, so timing tells nobody which
 * ids exist.
 */
export class TokenSet {
  private readonly byId = new Map<string, { entry: TokenEntry; digest: Buffer; principal: Principal }>();
  /** Compared with when the id is unknown (random: equal to no token's hash). */
  private readonly nobody = randomBytes(32);

  constructor(entries: readonly TokenEntry[]) {
    for (const e of entries) {
      if (this.byId.has(e.id)) throw new TokensFileError(`token id "${e.id}" appears twice`);
      const checked = TokenEntrySchema.safeParse(e);
      if (!checked.success) {
        const i = checked.error.issues[0];
        throw new TokensFileError(`token "${e.id}": ${i?.path.join('.')}: ${i?.message}`);
      }
      const principal: Principal = {
        tokenId: e.id,
        role: e.role,
        ...(e.agentId ? { agentId: e.agentId } : {}),
        ...(e.endpoint ? { endpoint: e.endpoint } : {}),
      };
      this.byId.set(e.id, { entry: e, digest: Buffer.from(e.hash.slice(7), 'hex'), principal });
    }
  }

  /** Reads a tokens file; a file that cannot be read or has a bad entry throws, naming file and entry. */
  static fromFile(path: string): TokenSet {
    let data: unknown;
    try {
      data = parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new TokensFileError(
        `cannot read the tokens file ${path}: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    const parsed = TokensFileSchema.safeParse(data);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new TokensFileError(`tokens file ${path}: ${i?.path.join('.')}: ${i?.message}`);
    }
    try {
      return new TokenSet(parsed.data.tokens);
    } catch (err) {
      if (err instanceof TokensFileError) throw new TokensFileError(`tokens file ${path}: ${err.message}`);
      throw err;
    }
  }

  get size(): number {
    return this.byId.size;
  }

  /** The principal of a bearer token, or undefined when it is unknown or wrong. */
  verify(token: string): Principal | undefined {
    const m = tokenPattern.exec(token);
    if (!m) return undefined;
    const known = this.byId.get(m[1]!);
    const same = timingSafeEqual(sha256(token), known?.digest ?? this.nobody);
    return same && known ? known.principal : undefined;
  }
}

/** Makes a token and its tokens-file line (for the `hotline token` command and demo mode). */
export function issueToken(id: string, role: Role, agentId?: string): { token: string; entry: TokenEntry } {
  const token = newToken(id);
  const entry = TokenEntrySchema.parse({
    id,
    role,
    ...(agentId ? { agentId } : {}),
    hash: hashToken(token),
  });
  return { token, entry };
}
