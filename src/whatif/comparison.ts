import type { RoutingPlan } from '../plan/compile.ts';
import type { TargetKind as ExplainedTargetKind } from '../plan/explain.ts';
import type { RosterEntry } from '../roster.ts';

/**
 * What-if (试算): a day's traffic replayed through the live rules and through a draft, on virtual
 * time, compared side by side. This file holds the contract shared by the CLI (`hotline whatif`),
 * the rules page's 试算 button and the API:
 *
 *   runWhatIf(o: WhatIfOptions): Promise<WhatIfComparison>              (src/whatif/run-what-if.ts)
 *   simulateDay(plan, traffic, roster, o?): DayResult                    (src/whatif/simulate-day.ts)
 *   trafficFromRecords(records, { timezone, date?, … }): TrafficDay      (src/whatif/traffic-records.ts)
 *   trafficFromProfile(profile, { plan, date?, seed? }): TrafficDay      (src/whatif/traffic-profile.ts)
 *   profileFromPlan(plan, calls, date?): a profile of `calls` over the plan's lines
 *   shiftPhases(plan, { mode, days }): a draft with a merge mode's phases moved (src/whatif/shift-phases.ts)
 *
 * Figures of both runs use one definition (see QueueFigures); the same calls (arrival, keys,
 * talk time, patience) and the same agents go through both plans, so a difference comes from
 * the rules alone.
 */

/** One caller of the replayed day: what they dial and do, whatever the rules make of it. */
export interface TrafficCall {
  /** Arrival, epoch ms. */
  atMs: number;
  /** The number dialled, as people dial it (the plan's normalisation applies). */
  dialed: string;
  /**
   * Keys the caller presses in the menus, in order, `T` for letting a menu time out (the
   * convention of `hotline explain`). Keys a plan's path does not use are ignored.
   */
  keys: string;
  /** Seconds the caller talks with the person who answers. */
  talkSeconds: number;
  /** Seconds the caller waits in the queues before hanging up (`Infinity`: never). */
  patienceSeconds: number;
}

/** A day of traffic, ready to replay: calls sorted by arrival. */
export interface TrafficDay {
  /** The day replayed (YYYY-MM-DD, the plan's time zone): phases and opening hours follow it. */
  date: string;
  /** Start and end of the day, epoch ms. */
  fromMs: number;
  untilMs: number;
  calls: readonly TrafficCall[];
  /** Where the calls come from: `records` (a JSONL file of call records) or `profile`. */
  source: 'records' | 'profile';
}

/** Figures of one queue (pool or expert seat) in one run. */
export interface QueueFigures {
  /** Calls that entered the queue (an overflow counts in both queues). */
  offered: number;
  /** Answered by an agent of this queue. */
  answered: number;
  /** Answered within the service-level threshold (15 s) of entering the queue. */
  answeredInThreshold: number;
  /** The caller hung up while waiting in this queue. */
  abandoned: number;
  /** Left for another queue or center by the queue's overflow. */
  overflowed: number;
  /** Turned into a ticket when the queue's longest wait passed. */
  ticketed: number;
  /** answeredInThreshold / (offered − overflowed): the share of the queue's own calls answered within 15 s; null without calls. */
  serviceLevel: number | null;
  /** Average speed of answer (s) of the calls answered here; null when none. */
  asaSeconds: number | null;
  /** abandoned / (offered − overflowed); null without calls. */
  abandonRate: number | null;
  /** Talk plus wrap-up time of the queue's agents over their logged-in time (agents in several queues count in each); null with no agent. */
  occupancy: number | null;
  /** Agents serving the queue. */
  agents: number;
}

/** Figures of one dialled line in one run. */
export interface LineFigures {
  calls: number;
  /** Calls that reached a person (an agent answered, or a transfer target was dialled). */
  reachedPerson: number;
  /** Mean and 90th percentile of the time from arrival to a person (IVR prompts, menus, queue wait); null when nobody was reached. */
  timeToPersonMeanSeconds: number | null;
  timeToPersonP90Seconds: number | null;
  /** Mean time in prompts and menus before the queue or target. */
  ivrMeanSeconds: number | null;
  abandoned: number;
  ticketed: number;
}

/**
 * Where the calls went first (a queue, a sub-center, a department's own line, a ticket, an
 * announcement…): what `explain` routes to, but a menu, which a call passes through on its way.
 */
export type TargetKind = Exclude<ExplainedTargetKind, 'menu'>;

/** Totals of one run. */
export interface RunTotals {
  calls: number;
  answered: number;
  abandoned: number;
  ticketed: number;
  /** Put through to a dialled target (sub-center, department line, emergency line, other center). */
  dialled: number;
  /** Over all queues, as in QueueFigures. */
  serviceLevel: number | null;
  asaSeconds: number | null;
  abandonRate: number | null;
}

/** One run: the plan's figures for the day. */
export interface DayResult {
  totals: RunTotals;
  queues: Map<string, { kind: 'pool' | 'expert'; id: string; name: string; figures: QueueFigures }>;
  lines: Map<string, { id: string; number: string; name: string; figures: LineFigures }>;
  /** Calls per first target, keyed `kind:id`. */
  targets: Map<string, number>;
  /** Discrete events processed (for the benchmark). */
  events: number;
}

/** A row of the side-by-side: the same thing under the live rules (现行规则) and the draft (草案). */
export interface SideBySide<T> {
  live: T | null;
  draft: T | null;
}

export interface PoolRow extends SideBySide<QueueFigures> {
  kind: 'pool' | 'expert';
  id: string;
  name: string;
}

export interface LineRow extends SideBySide<LineFigures> {
  id: string;
  number: string;
  name: string;
}

export interface TargetRow {
  kind: TargetKind;
  id: string;
  live: number;
  draft: number;
}

/** The side-by-side the CLI prints, `--json` writes and the rules page charts. */
export interface WhatIfComparison {
  date: string;
  calls: number;
  seed: number;
  traffic: TrafficDay['source'];
  agents: { count: number; source: 'roster' | 'default'; note: string };
  totals: { live: RunTotals; draft: RunTotals };
  pools: PoolRow[];
  lines: LineRow[];
  targets: TargetRow[];
  /** The threshold of the service level, seconds (the live plan's center.serviceLevelSeconds, 15). */
  serviceLevelSeconds: number;
}

export interface WhatIfOptions {
  live: RoutingPlan;
  draft: RoutingPlan;
  traffic: TrafficDay;
  /** The agents (roster format); absent: a default staffing sized from the live rules' load (see default-staffing.ts). */
  agents?: RosterEntry[];
  /**
   * The seed the traffic was drawn with (talk times, patience, keys), reported in the comparison;
   * default 1. The replay itself draws nothing: the same traffic and agents give the same figures.
   */
  seed?: number;
}

/** The entry point (implemented in run-what-if.ts). */
export type RunWhatIf = (o: WhatIfOptions) => Promise<WhatIfComparison>;
