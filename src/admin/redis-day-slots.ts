import type { Redis } from 'ioredis';
import { loadLuaScripts, runLuaScript } from '../redis/lua-scripts.ts';
import {
  type DayCounts,
  type DaySlotStore,
  emptyDay,
  SLOTS_PER_DAY,
  type SlotFact,
  type SlotField,
  slotFields,
  slotOf,
} from './day-slots.ts';

const scripts = loadLuaScripts(new URL('./lua/', import.meta.url), { count: ['count-fact', 2] });

/** The day's slots are kept two days: yesterday's stay readable for a while after midnight. */
const KEEP_SECONDS = 2 * 86_400;
const fieldSet = new Set<string>(slotFields);

/** `<prefix>:{<center>}:day:<YYYY-MM-DD>` and its `:counted` set (one cluster slot per center). */
export function dayKeys(centerId: string, day: string, keyPrefix = 'hotline') {
  const base = `${keyPrefix}:{${centerId}}:day:${day}`;
  return { counts: base, counted: `${base}:counted` };
}

export class RedisTimeoutError extends Error {
  readonly code = 'redis-timeout';
}

/**
 * The day's slots in Redis, shared by the center's engines and kept across their restarts:
 * a hash of counters per day (`<slot>:<field>`, `line:<id>`) and the set of facts counted, both
 * expiring two days after their last change. A fact is counted by one Lua script
 * (lua/count-fact-2.lua), so two engines bringing the same fact count it once.
 */
export class RedisDaySlots implements DaySlotStore {
  constructor(
    private readonly o: {
      redis: Redis;
      centerId: string;
      keyPrefix?: string;
      /** A read not answered within this (Redis away) fails rather than hang the wallboard (default 500 ms). */
      readTimeoutMs?: number;
    },
  ) {}

  async count(fact: SlotFact): Promise<void> {
    const { day, slot } = slotOf(fact.at);
    const keys = dayKeys(this.o.centerId, day, this.o.keyPrefix);
    const args: (string | number)[] = [`${fact.callId}|${fact.key}`, KEEP_SECONDS];
    for (const [field, n] of Object.entries(fact.add)) if (n) args.push(`${slot}:${field}`, Math.round(n));
    if (fact.line !== undefined) args.push(`line:${fact.line}`, 1);
    await runLuaScript(this.o.redis, scripts.count, [keys.counts, keys.counted], args);
  }

  async read(day: string): Promise<DayCounts> {
    const key = dayKeys(this.o.centerId, day, this.o.keyPrefix).counts;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisTimeoutError('Redis did not answer the read of the day figures')),
        this.o.readTimeoutMs ?? 500,
      );
    });
    try {
      return parseDay(day, await Promise.race([this.o.redis.hgetall(key), timeout]));
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The counts of a day's hash; fields it does not know are left out. */
export function parseDay(day: string, hash: Record<string, string>): DayCounts {
  const out = emptyDay(day);
  for (const [field, value] of Object.entries(hash)) {
    const n = Number(value);
    if (!Number.isFinite(n)) continue;
    if (field.startsWith('line:')) {
      out.lines[field.slice(5)] = n;
      continue;
    }
    const [slotText, name] = field.split(':');
    const slot = Number(slotText);
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS_PER_DAY || !name || !fieldSet.has(name))
      continue;
    out.slots[slot]![name as SlotField] = n;
  }
  return out;
}
