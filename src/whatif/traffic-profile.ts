import { z } from 'zod';
import type { RoutingPlan } from '../plan/compile.ts';
import { areaCodes, normalizeDialed } from '../plan/dialed.ts';
import { enterCall, followRoute, type RouteStep } from '../plan/route-step.ts';
import { Random } from '../synthetic/random.ts';
import type { TrafficCall, TrafficDay } from './comparison.ts';
import { dayBounds } from './day.ts';
import { WhatIfInputError } from './errors.ts';

/**
 * A traffic profile: a day described by volumes instead of records. Per line (by number): its
 * calls or its share of `calls`, AHT, mean patience and the keys callers press (with shares). The
 * hours follow `hourly` (24 weights, a 12345 day's shape by default). Talk times and patience are
 * exponential (the Erlang A assumptions); `patienceSeconds: null` is infinite patience.
 */
const Seconds = z.number().positive().max(86_400);
const KeyShare = z
  .object({
    keys: z.string().regex(/^[0-9*#T]*$/, 'keys 0-9, *, # and T (a menu timeout)'),
    share: z.number().positive(),
  })
  .strict();
const ProfileLine = z
  .object({
    number: z.string().regex(/^\+?[0-9 ().-]{3,40}$/, 'a phone number'),
    calls: z.number().int().min(0).optional(),
    share: z.number().min(0).optional(),
    ahtSeconds: Seconds.optional(),
    patienceSeconds: Seconds.nullable().optional(),
    /** What callers press; absent: at each menu of the live plan an option chosen uniformly. */
    keys: z.array(KeyShare).min(1).optional(),
  })
  .strict()
  .refine((l) => (l.calls === undefined) !== (l.share === undefined), {
    message: 'give either calls or share',
    path: ['calls'],
  });

export const TrafficProfile = z
  .object({
    /** The day (YYYY-MM-DD, the plan's time zone); the CLI's --date overrides it. */
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
      .optional(),
    /** Calls of the day spread by the lines' `share`. */
    calls: z.number().int().min(0).max(2_000_000).optional(),
    hourly: z.array(z.number().min(0)).length(24).optional(),
    ahtSeconds: Seconds.default(240),
    patienceSeconds: Seconds.nullable().default(180),
    lines: z.array(ProfileLine).min(1),
  })
  .strict()
  .refine((p) => p.calls !== undefined || p.lines.every((l) => l.calls !== undefined), {
    message: 'lines given by share need the day\'s "calls"',
    path: ['calls'],
  });
export type TrafficProfile = z.infer<typeof TrafficProfile>;
export type TrafficProfileInput = z.input<typeof TrafficProfile>;

/** A 12345 day: quiet at night, peaks in the late morning and the afternoon (relative weights per hour). */
export const HOTLINE_DAY_SHAPE: readonly number[] = [
  0.6, 0.4, 0.3, 0.3, 0.3, 0.5, 1, 2.5, 5, 7, 7.5, 7, 5.5, 6, 7, 7, 6.5, 5.5, 4, 3.5, 3, 2.5, 1.8, 1,
];

/** Splits `total` into integer parts proportional to `weights` (largest remainders), summing to `total`. */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((s, v) => s + v, 0);
  const order = exact
    .map((v, i) => [v - Math.floor(v), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    parts[i] = (parts[i] as number) + 1;
    left--;
  }
  return parts;
}

export interface ProfileOptions {
  /** The plan whose menus callers without a `keys` list choose in (the live plan: the same keys replay in the draft). */
  plan: RoutingPlan;
  /** Overrides the profile's date. */
  date?: string;
  seed?: number;
}

/**
 * The calls of a profile's day: per line and hour the apportioned count, at uniform instants in
 * the hour (a Poisson process given its count), exponential talk and patience, keys by share.
 */
export function trafficFromProfile(input: TrafficProfileInput, o: ProfileOptions): TrafficDay {
  const parsed = TrafficProfile.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WhatIfInputError(`profile.${issue.path.join('.')}`, issue.message);
  }
  const profile = parsed.data;
  const date = o.date ?? profile.date;
  if (date === undefined)
    throw new WhatIfInputError('profile.date', 'the profile has no date: give one (--date)');
  const tz = o.plan.center.timezone;
  const { fromMs, untilMs } = dayBounds(date, tz, o.date !== undefined ? 'date' : 'profile.date');
  const rnd = new Random(o.seed ?? 1);
  const codes = areaCodes(o.plan.center.areaCode);
  const byShare = apportion(
    profile.calls ?? 0,
    profile.lines.map((l) => (l.calls === undefined ? (l.share ?? 0) : 0)),
  );
  const shape = profile.hourly ?? HOTLINE_DAY_SHAPE;
  const hourMs = (untilMs - fromMs) / 24;
  const calls: TrafficCall[] = [];
  profile.lines.forEach((line, i) => {
    const dialed = normalizeDialed(line.number, codes).number;
    const aht = line.ahtSeconds ?? profile.ahtSeconds;
    const patience = line.patienceSeconds === undefined ? profile.patienceSeconds : line.patienceSeconds;
    const perHour = apportion(line.calls ?? (byShare[i] as number), shape);
    perHour.forEach((count, hour) => {
      for (let k = 0; k < count; k++) {
        const atMs = Math.floor(fromMs + hour * hourMs + rnd.next() * hourMs);
        calls.push({
          atMs,
          dialed,
          keys: line.keys ? pickKeys(line.keys, rnd) : menuKeys(o.plan, dialed, atMs, rnd),
          talkSeconds: Math.max(1, Math.round(rnd.exponential(aht))),
          patienceSeconds: patience === null ? Number.POSITIVE_INFINITY : rnd.exponential(patience),
        });
      }
    });
  });
  calls.sort((a, b) => a.atMs - b.atMs);
  return { date, fromMs, untilMs, calls, source: 'profile' };
}

function pickKeys(shares: readonly { keys: string; share: number }[], rnd: Random): string {
  const total = shares.reduce((s, k) => s + k.share, 0);
  let roll = rnd.next() * total;
  for (const k of shares) {
    roll -= k.share;
    if (roll < 0) return k.keys;
  }
  return shares[shares.length - 1]!.keys;
}

/** Keys of a caller who picks an option uniformly at each menu the plan plays them (at most 4 menus). */
function menuKeys(plan: RoutingPlan, dialed: string, atMs: number, rnd: Random): string {
  const { entry } = enterCall(plan, dialed, atMs);
  const ctx = { line: entry.line, atMs };
  let keys = '';
  let step: RouteStep = followRoute(plan, entry.phase.route, ctx).step;
  for (let depth = 0; depth < 4; depth++) {
    if (step.kind === 'menu') {
      const option = rnd.pick(step.menu.options);
      keys += option.digits;
      step = followRoute(plan, option.route, ctx).step;
    } else if (step.kind === 'progress-query') {
      keys += `${rnd.int(2_021_000, 2_026_999)}#`;
      step = followRoute(plan, step.service.next, ctx).step;
    } else break;
  }
  return keys;
}

/**
 * A profile drawn from a plan, for a day of `calls`: half on the main line (12345), the other
 * half spread evenly over the other lines; AHT 240 s, mean patience 180 s, callers choosing
 * menu options uniformly. The benchmark and `hotline whatif --calls N` use it.
 */
export function profileFromPlan(plan: RoutingPlan, calls: number, date?: string): TrafficProfileInput {
  const lines = [...plan.lines.values()];
  const main = lines.find((l) => l.mode === 'main') ?? lines[0]!;
  const others = lines.filter((l) => l !== main);
  return {
    ...(date !== undefined ? { date } : {}),
    calls,
    lines: [
      { number: main.number, share: others.length > 0 ? others.length : 1 },
      ...others.map((l) => ({ number: l.number, share: 1 })),
    ],
  };
}
