import type { CompiledLine, CompiledPhase, CompiledRoute } from './compile.ts';
import type { PhaseKindName, SourceRule } from './schema.ts';

export interface PhaseView {
  id: string;
  kind: PhaseKindName;
  route: CompiledRoute;
  source?: SourceRule;
  /** Inclusive start and exclusive end, epoch ms (absent for the line's own route). */
  fromMs?: number;
  untilMs?: number;
}

/** The phase a line is in at an instant; a line with no phase then is `active` on its own route. */
export function phaseAt(line: CompiledLine, atMs: number): PhaseView | undefined {
  const phase: CompiledPhase | undefined = line.phases.find((p) => p.fromMs <= atMs && atMs < p.untilMs);
  if (phase) {
    const view: PhaseView = {
      id: phase.id,
      kind: phase.kind,
      route: phase.route,
      fromMs: phase.fromMs,
      untilMs: phase.untilMs,
    };
    if (phase.source !== undefined) view.source = phase.source;
    return view;
  }
  if (line.route) return { id: 'default', kind: 'active', route: line.route };
  return undefined;
}
