/**
 * Fault injection: REST failures for the next matching requests and WebSocket outage windows.
 */
export interface RestFailure {
  method?: string | undefined;
  pathPrefix?: string | undefined;
  status: 404 | 409 | 500 | 503;
  count: number;
}

export class Faults {
  private readonly rules: RestFailure[] = [];
  private refuseUntil = 0;

  constructor(private readonly now: () => number) {}

  failNextRest(rule: RestFailure): void {
    this.rules.push({ ...rule, method: rule.method?.toUpperCase() });
  }

  /** The status to fail this request with, consuming one use of the first matching rule. */
  takeRestFailure(method: string, path: string): number | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (!rule) continue;
      if (rule.method !== undefined && rule.method !== method) continue;
      if (rule.pathPrefix !== undefined && !path.startsWith(rule.pathPrefix)) continue;
      rule.count--;
      if (rule.count <= 0) this.rules.splice(i, 1);
      return rule.status;
    }
    return undefined;
  }

  refuseWebSockets(realMs: number): void {
    this.refuseUntil = Math.max(this.refuseUntil, this.now() + realMs);
  }

  refusingWebSockets(): boolean {
    return this.now() < this.refuseUntil;
  }
}
