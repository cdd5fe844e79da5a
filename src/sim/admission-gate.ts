/**
 * The share the dialplan's admission gate lets through (src/admission/gate.ts), as the simulator
 * draws it: Asterisk draws RAND(1,100) per call; the simulator spreads the share evenly instead
 * (every n-th call per app), so runs repeat exactly.
 */
export class GateDraws {
  private readonly credit = new Map<string, number>();

  /** Whether this call to `app` is one of the `percent` in a hundred that enter. */
  draw(app: string, percent: number): boolean {
    if (percent <= 0) return false;
    const c = (this.credit.get(app) ?? 0) + percent;
    if (c >= 100) {
      this.credit.set(app, c - 100);
      return true;
    }
    this.credit.set(app, c);
    return false;
  }
}
