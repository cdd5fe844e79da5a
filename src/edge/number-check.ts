import type { RoutingPlan } from '../plan/compile.ts';
import { areaCodes, normalizeDialed } from '../plan/dialed.ts';

/**
 * Which dialed numbers the center answers, from the plan: exactly the numbers the generated
 * dialplan sends to the engine (`[hotline-numbers]`: every line of the plan, in every form a
 * caller may dial it: local, with the area code, after +86/0086, with separators). The edge
 * refuses the rest with 404 before any node spends work on them.
 */
export class NumberCheck {
  private readonly codes: string[];
  constructor(private readonly plan: RoutingPlan) {
    this.codes = areaCodes(plan.center.areaCode);
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
    return this.plan.linesByNumber.has(normalizeDialed(dialed, this.codes).number);
  }

  /** How many numbers (lines) the plan answers. */
  get size(): number {
    return this.plan.linesByNumber.size;
  }
}
