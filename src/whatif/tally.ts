import { type Agent, memberships } from '../acd/agent.ts';
import type { QueuePolicy } from '../acd/queue-policy.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import type { CallerPath, PathEnd } from './caller-path.ts';
import type { DayResult, LineFigures, QueueFigures, RunTotals, TrafficDay } from './comparison.ts';

interface QueueCount {
  kind: 'pool' | 'expert';
  id: string;
  name: string;
  offered: number;
  answered: number;
  inThreshold: number;
  waitMs: number;
  abandoned: number;
  overflowed: number;
  ticketed: number;
  members: string[];
}

interface LineCount {
  id: string;
  number: string;
  name: string;
  calls: number;
  ivrMs: number;
  toPersonMs: number[];
  abandoned: number;
  ticketed: number;
}

/** Where a path ends, as a target key `kind:id`. */
export function targetKey(end: PathEnd): string {
  switch (end.kind) {
    case 'queue':
      return `${end.queue}:${end.id}`;
    case 'dial':
      return `${end.target}:${end.id}`;
    case 'ticket':
      return 'ticket:ticket';
    case 'announcement':
      return `announcement:${end.prompt}`;
  }
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/**
 * The counts of one simulated day and the figures made of them. Per queue the wait runs from
 * entering that queue; the totals and the lines take the caller's view (from the first queue
 * entry, from the arrival).
 */
export class DayTally {
  private readonly queues = new Map<string, QueueCount>();
  private readonly lines = new Map<string, LineCount>();
  private readonly targets = new Map<string, number>();
  private readonly busyMs = new Map<string, number>();
  private readonly total = {
    calls: 0,
    queued: 0,
    answered: 0,
    inThreshold: 0,
    waitMs: 0,
    abandoned: 0,
    ticketed: 0,
    dialled: 0,
  };

  constructor(
    plan: RoutingPlan,
    policies: readonly QueuePolicy[],
    agents: readonly Agent[],
    private readonly day: TrafficDay,
    private readonly slMs: number,
  ) {
    for (const p of policies) {
      const id = p.id.slice(p.id.indexOf(':') + 1);
      this.queues.set(p.id, {
        kind: p.kind,
        id,
        name: p.name,
        offered: 0,
        answered: 0,
        inThreshold: 0,
        waitMs: 0,
        abandoned: 0,
        overflowed: 0,
        ticketed: 0,
        members: agents.filter((a) => memberships(a).includes(p.id)).map((a) => a.id),
      });
    }
    for (const l of plan.lines.values()) {
      this.lines.set(l.id, {
        id: l.id,
        number: l.number,
        name: l.name,
        calls: 0,
        ivrMs: 0,
        toPersonMs: [],
        abandoned: 0,
        ticketed: 0,
      });
    }
  }

  arrived(path: CallerPath): void {
    this.total.calls++;
    const line = this.lines.get(path.line.id)!;
    line.calls++;
    line.ivrMs += path.ivrMs;
    const key = targetKey(path.end);
    this.targets.set(key, (this.targets.get(key) ?? 0) + 1);
  }

  queued(key: string, first: boolean): void {
    this.queues.get(key)!.offered++;
    if (first) this.total.queued++;
  }

  answered(
    path: CallerPath,
    key: string,
    arrivedAt: number,
    firstQueuedAt: number,
    enteredAt: number,
    now: number,
  ): void {
    const q = this.queues.get(key)!;
    q.answered++;
    q.waitMs += now - enteredAt;
    if (now - enteredAt <= this.slMs) q.inThreshold++;
    this.total.answered++;
    this.total.waitMs += now - firstQueuedAt;
    if (now - firstQueuedAt <= this.slMs) this.total.inThreshold++;
    this.lines.get(path.line.id)!.toPersonMs.push(now - arrivedAt);
  }

  /** The path ended without a queue (or after one, by an overflow): dialled target, ticket or announcement. */
  ended(path: CallerPath, end: PathEnd, arrivedAt: number, now: number): void {
    const line = this.lines.get(path.line.id)!;
    if (end.kind === 'dial') {
      this.total.dialled++;
      line.toPersonMs.push(now - arrivedAt);
    } else if (end.kind === 'ticket') {
      this.total.ticketed++;
      line.ticketed++;
    }
  }

  abandoned(path: CallerPath, key: string | undefined): void {
    if (key !== undefined) this.queues.get(key)!.abandoned++;
    this.total.abandoned++;
    this.lines.get(path.line.id)!.abandoned++;
  }

  overflowed(key: string): void {
    this.queues.get(key)!.overflowed++;
  }

  ticketedInQueue(path: CallerPath, key: string): void {
    this.queues.get(key)!.ticketed++;
    this.total.ticketed++;
    this.lines.get(path.line.id)!.ticketed++;
  }

  /** An agent was busy (talk and wrap-up) from `fromMs` to `untilMs`; counted inside the day only. */
  busy(agentId: string, fromMs: number, untilMs: number): void {
    const ms = Math.min(untilMs, this.day.untilMs) - Math.max(fromMs, this.day.fromMs);
    if (ms > 0) this.busyMs.set(agentId, (this.busyMs.get(agentId) ?? 0) + ms);
  }

  result(events: number): DayResult {
    const dayMs = this.day.untilMs - this.day.fromMs;
    const queues: DayResult['queues'] = new Map();
    for (const [key, q] of this.queues) {
      const own = q.offered - q.overflowed;
      const busy = q.members.reduce((sum, id) => sum + (this.busyMs.get(id) ?? 0), 0);
      const figures: QueueFigures = {
        offered: q.offered,
        answered: q.answered,
        answeredInThreshold: q.inThreshold,
        abandoned: q.abandoned,
        overflowed: q.overflowed,
        ticketed: q.ticketed,
        serviceLevel: ratio(q.inThreshold, own),
        asaSeconds: q.answered > 0 ? q.waitMs / q.answered / 1000 : null,
        abandonRate: ratio(q.abandoned, own),
        occupancy: q.members.length > 0 && dayMs > 0 ? busy / (q.members.length * dayMs) : null,
        agents: q.members.length,
      };
      queues.set(key, { kind: q.kind, id: q.id, name: q.name, figures });
    }
    const lines: DayResult['lines'] = new Map();
    for (const [id, l] of this.lines) {
      const sorted = [...l.toPersonMs].sort((a, b) => a - b);
      const n = sorted.length;
      const figures: LineFigures = {
        calls: l.calls,
        reachedPerson: n,
        timeToPersonMeanSeconds: n > 0 ? sorted.reduce((s, v) => s + v, 0) / n / 1000 : null,
        timeToPersonP90Seconds: n > 0 ? (sorted[Math.ceil(0.9 * n) - 1] as number) / 1000 : null,
        ivrMeanSeconds: l.calls > 0 ? l.ivrMs / l.calls / 1000 : null,
        abandoned: l.abandoned,
        ticketed: l.ticketed,
      };
      lines.set(id, { id, number: l.number, name: l.name, figures });
    }
    const t = this.total;
    const totals: RunTotals = {
      calls: t.calls,
      answered: t.answered,
      abandoned: t.abandoned,
      ticketed: t.ticketed,
      dialled: t.dialled,
      serviceLevel: ratio(t.inThreshold, t.queued),
      asaSeconds: t.answered > 0 ? t.waitMs / t.answered / 1000 : null,
      abandonRate: ratio(t.abandoned, t.queued),
    };
    return { totals, queues, lines, targets: new Map(this.targets), events };
  }
}
