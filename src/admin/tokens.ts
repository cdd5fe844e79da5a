import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { HotlineError } from '../errors.ts';

/**
 * API tokens. A token reads `hl.<id>.<secret>` (43 base64url characters of secret, 256 bits): the id
 * says which entry to check, the secret is only ever kept hashed — `sha256:<hex>` (enough for a
 * random 256-bit secret) or `scrypt:<N>:<r>:<p>:<salt>:<hash>` (base64url). Tokens files are YAML:
 *   tokens:
 *     - { id: ops-admin, role: admin, hash: "sha256:…" }
 *     - { id: agent1001, role: agent, agentId: agent1001, hash: "scrypt:16384:8:1:…" }
 */
export const roles = ['admin', 'supervisor', 'agent'] as const;
export type Role = (typeof roles)[number];

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;
const hashPattern = /^(sha256:[0-9a-f]{64}|scrypt:\d+:\d+:\d+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+)$/;

export const TokenEntrySchema = z
  .object({
    id: z.string().regex(idPattern, 'letters, digits, _ and -'),
    role: z.enum(roles),
    agentId: z.string().regex(idPattern).optional(),
    hash: z.string().regex(hashPattern, 'sha256:<hex> or scrypt:N:r:p:salt:hash'),
  })
  .strict()
  .refine((t) => t.role !== 'agent' || t.agentId !== undefined, {
    message: 'an agent token names its agentId',
    path: ['agentId'],
  });
export type TokenEntry = z.infer<typeof TokenEntrySchema>;

export const TokensFileSchema = z.object({ tokens: z.array(TokenEntrySchema) }).strict();

/** Who made a request, once its token checked out. */
export interface Principal {
  tokenId: string;
  role: Role;
  agentId?: string;
}

export class TokensFileError extends HotlineError {
  constructor(message: string) {
    super('invalid-tokens-file', message);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Hashes a token for the tokens file. */
export function hashToken(token: string, kind: 'sha256' | 'scrypt' = 'sha256'): string {
  if (kind === 'sha256') return `sha256:${sha256(token).toString('hex')}`;
  const salt = randomBytes(16);
  const [N, r, p] = [16384, 8, 1];
  const hash = scryptSync(token, salt, 32, { N, r, p });
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64url')}:${hash.toString('base64url')}`;
}

/** A new random token for the given id. */
export function newToken(id: string): string {
  if (!idPattern.test(id)) throw new TokensFileError(`token id "${id}": letters, digits, _ and -`);
  return `hl.${id}.${randomBytes(32).toString('base64url')}`;
}

function matches(token: string, hash: string): boolean {
  if (hash.startsWith('sha256:')) {
    return timingSafeEqual(sha256(token), Buffer.from(hash.slice(7), 'hex'));
  }
  const [, n, r, p, salt, expected] = hash.split(':') as [string, string, string, string, string, string];
  const want = Buffer.from(expected, 'base64url');
  const got = scryptSync(token, Buffer.from(salt, 'base64url'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * Number(n) * Number(r),
  });
  return timingSafeEqual(got, want);
}

/**
 * The tokens an API accepts. Verifying a scrypt hash costs tens of milliseconds, so a verified
 * token is remembered (by its SHA-256, in memory only) for `cacheMs`.
 */
export class TokenSet {
  private readonly byId = new Map<string, TokenEntry>();
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    entries: readonly TokenEntry[],
    private readonly now: () => number = Date.now,
    private readonly cacheMs = 5 * 60_000,
  ) {
    for (const e of entries) {
      if (this.byId.has(e.id)) throw new TokensFileError(`token id "${e.id}" appears twice`);
      this.byId.set(e.id, e);
    }
  }

  static fromFile(path: string, now?: () => number): TokenSet {
    let data: unknown;
    try {
      data = parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new TokensFileError(`cannot read the tokens file: ${(err as Error).message.split('\n')[0]}`);
    }
    const parsed = TokensFileSchema.safeParse(data);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new TokensFileError(`tokens file: ${i?.path.join('.')}: ${i?.message}`);
    }
    return new TokenSet(parsed.data.tokens, now);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The principal of a bearer token, or undefined when it is unknown or wrong. */
  verify(token: string): Principal | undefined {
    const m = /^hl\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{20,128})$/.exec(token);
    if (!m) return undefined;
    const key = sha256(token).toString('hex');
    const cached = this.verified.get(key);
    if (cached && cached.until > this.now()) return cached.principal;
    const entry = this.byId.get(m[1]!);
    if (!entry || !matches(token, entry.hash)) return undefined;
    const principal: Principal = {
      tokenId: entry.id,
      role: entry.role,
      ...(entry.agentId ? { agentId: entry.agentId } : {}),
    };
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, { principal, until: this.now() + this.cacheMs });
    return principal;
  }
}

/** Makes a token and its tokens-file line (for the `hotline token` command and demo mode). */
export function issueToken(
  id: string,
  role: Role,
  agentId?: string,
  kind: 'sha256' | 'scrypt' = 'sha256',
): { token: string; entry: TokenEntry } {
  const token = newToken(id);
  const entry = TokenEntrySchema.parse({
    id,
    role,
    ...(agentId ? { agentId } : {}),
    hash: hashToken(token, kind),
  });
  return { token, entry };
}
