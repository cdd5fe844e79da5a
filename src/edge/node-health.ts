/**
 * Health by SIP OPTIONS, as pure state: a target (an Asterisk node, the carrier, a trunk) is
 * down after one unanswered or failed OPTIONS and up again after one answered. A node down by
 * one unanswered OPTIONS just after being up is `suspect`: a busy but healthy Asterisk leaves one
 * unanswered now and then under load, so the edge still tries a suspect node when no node is up
 * (pick-node.ts) rather than refusing every call until the next OPTIONS. "Answered" is
 * any response below 500 (a 4xx still proves a live SIP stack: Asterisk answers 404 or 405 to
 * an OPTIONS it does not like); 5xx/6xx, a transport error or no response within the probe's
 * time is "failed" or "unanswered". Every target starts down: nothing is sent to a node before
 * it has answered once.
 */
export interface Health {
  up: boolean;
  /** Round-trip time of the last answered OPTIONS, in ms. */
  rttMs: number | undefined;
  /** Status of the last response, when there was one. */
  lastStatus: number | undefined;
  /** Why it is down (`no answer`, `503`, a transport error), when it is. */
  reason: string | undefined;
  /** When the last probe ended (epoch ms); undefined before the first. */
  checkedAt: number | undefined;
  /** Down only by one unanswered OPTIONS, right after being up (a last resort, see above). */
  suspect: boolean;
}

export type ProbeOutcome =
  | { kind: 'answered'; status: number; rttMs: number }
  | { kind: 'unanswered' }
  | { kind: 'failed'; reason: string };

export const initialHealth: Health = {
  up: false,
  rttMs: undefined,
  lastStatus: undefined,
  reason: 'not checked yet',
  checkedAt: undefined,
  suspect: false,
};

/** The health after one probe's outcome. */
export function nextHealth(prev: Health, outcome: ProbeOutcome, at: number): Health {
  switch (outcome.kind) {
    case 'answered':
      return outcome.status < 500
        ? {
            up: true,
            rttMs: outcome.rttMs,
            lastStatus: outcome.status,
            reason: undefined,
            checkedAt: at,
            suspect: false,
          }
        : {
            up: false,
            rttMs: prev.rttMs,
            lastStatus: outcome.status,
            reason: `answered ${outcome.status}`,
            checkedAt: at,
            suspect: false,
          };
    case 'unanswered':
      return {
        up: false,
        rttMs: prev.rttMs,
        lastStatus: undefined,
        reason: 'no answer',
        checkedAt: at,
        suspect: prev.up,
      };
    case 'failed':
      return {
        up: false,
        rttMs: prev.rttMs,
        lastStatus: undefined,
        reason: outcome.reason,
        checkedAt: at,
        suspect: false,
      };
  }
}

/**
 * The health of a set of targets. Each probe gets a number; the outcome of a probe that is no
 * longer the target's latest (a late answer after the probe timed out) is ignored.
 */
export class HealthTable {
  private readonly health = new Map<string, Health>();
  private readonly probes = new Map<string, number>();
  private seq = 0;

  constructor(names: Iterable<string>) {
    for (const n of names) this.health.set(n, initialHealth);
  }

  names(): string[] {
    return [...this.health.keys()];
  }

  get(name: string): Health {
    return this.health.get(name) ?? initialHealth;
  }

  isUp(name: string): boolean {
    return this.health.get(name)?.up === true;
  }

  /** A probe of `name` starts: its number, for `settle`. */
  begin(name: string): number {
    this.seq += 1;
    this.probes.set(name, this.seq);
    return this.seq;
  }

  /**
   * A probe ended. Returns the change (`up`/`down`) when the target's state flipped, else
   * undefined (also for a stale probe).
   */
  settle(name: string, probe: number, outcome: ProbeOutcome, at: number): 'up' | 'down' | undefined {
    if (this.probes.get(name) !== probe) return undefined;
    this.probes.delete(name);
    const prev = this.get(name);
    const next = nextHealth(prev, outcome, at);
    this.health.set(name, next);
    if (next.up === prev.up) return undefined;
    return next.up ? 'up' : 'down';
  }
}
