import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type AttemptClaims, CLAIM_TTL_MS, type ClaimVerdict } from '../telephony/attempt-claims.ts';
import { loadLuaScripts, runLuaScript } from './lua-scripts.ts';

const scripts = loadLuaScripts(new URL('./lua/', import.meta.url), { claim: ['attempt-claim', 1] });

/**
 * The claims on carrier calls shared by every engine of a center
 * (`<prefix>:{center}:attempt:<sha1 of the SIP Call-ID>`, a hash kept 10 minutes): one Lua script,
 * so that a claim and its owner's answer are each one atomic step.
 */
export class RedisAttemptClaims implements AttemptClaims {
  private readonly base: string;

  constructor(
    private readonly redis: Redis,
    centerId: string,
    keyPrefix = 'hotline',
    private readonly ttlMs = CLAIM_TTL_MS,
  ) {
    this.base = `${keyPrefix}:{${centerId}}:attempt:`;
  }

  async claim(sipCallId: string, channelId: string, force = false): Promise<ClaimVerdict> {
    const verdict = await this.run(force ? 'force' : 'claim', sipCallId, channelId);
    if (verdict === 'serve' || verdict === 'wait' || verdict === 'refuse') return verdict;
    throw new Error(`attempt-claim answered ${String(verdict)}`);
  }

  async answered(sipCallId: string, channelId: string): Promise<boolean> {
    return (await this.run('answered', sipCallId, channelId)) === 1;
  }

  async release(sipCallId: string, channelId: string): Promise<void> {
    await this.run('release', sipCallId, channelId);
  }

  /** The key of a call: the Call-ID is the carrier's text, of any length and characters. */
  keyOf(sipCallId: string): string {
    return this.base + createHash('sha1').update(sipCallId).digest('hex');
  }

  private run(op: string, sipCallId: string, channelId: string): Promise<unknown> {
    return runLuaScript(this.redis, scripts.claim, [this.keyOf(sipCallId)], [op, channelId, this.ttlMs]);
  }
}
