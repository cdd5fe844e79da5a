import type { RoutingPlan } from '../plan/compile.ts';
import { areaCodes, normalizeDialed } from '../plan/dialed.ts';

/**
 * What the edge needs of a plan, as plain data (it crosses a worker thread's boundary): the
 * center (it names the Redis keys), its area codes, and the numbers its lines answer as the plan
 * keys them (`linesByNumber`: local, separators and country code removed).
 */
export interface PlanNumbers {
  centerId: string;
  /** Longest first, as normalizeDialed tries them. */
  areaCodes: string[];
  numbers: string[];
}

export function planNumbers(plan: RoutingPlan): PlanNumbers {
  return {
    centerId: plan.center.id,
    areaCodes: areaCodes(plan.center.areaCode),
    numbers: [...plan.linesByNumber.keys()],
  };
}

/**
 * Which dialed numbers the center answers, from the plan: exactly the numbers the generated
 * dialplan sends to the engine (`[hotline-numbers]`: every line of the plan, in every form a
 * caller may dial it: local, with the area code, after +86/0086, with separators). The edge
 * refuses the rest with 404 before any node spends work on them.
 */
export class NumberCheck {
  private readonly numbers: ReadonlySet<string>;
  private readonly codes: readonly string[];

  constructor(data: PlanNumbers) {
    this.numbers = new Set(data.numbers);
    this.codes = [...data.areaCodes];
  }

  /** Whether the plan answers the Request-URI user `user` (percent-escapes allowed, e.g. `%2B86…`). */
  answers(user: string): boolean {
    let dialed = user;
    if (dialed.includes('%')) {
      try {
        dialed = decodeURIComponent(dialed);
      } catch {
        return false;
      }
    }
    if (!/^\+?[0-9 ().-]{1,40}$/.test(dialed)) return false;
    return this.numbers.has(normalizeDialed(dialed, this.codes).number);
  }

  /** How many numbers (lines) the plan answers. */
  get size(): number {
    return this.numbers.size;
  }
}
