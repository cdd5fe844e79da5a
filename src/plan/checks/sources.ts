import type { Located, RawRules } from '../raw-rules.ts';
import type { SourceRule } from '../schema.ts';
import { ENTRY_KEY } from '../source.ts';
import type { CheckContext } from './context.ts';

type WithSource = { source?: SourceRule };

/** Every entry of the rules that can carry a `source`, with where it is. */
function entries(raw: RawRules): Located<WithSource & object>[] {
  const out: Located<WithSource & object>[] = [raw.center as Located<WithSource & object>];
  const sections = [
    raw.schedules,
    raw.pools,
    raw.experts,
    raw.subcenters,
    raw.departments,
    raw.emergency,
    raw.centers,
    raw.directory,
    raw.menus,
    raw.answers,
    raw.selfService,
    raw.callerClasses,
    raw.groups,
    raw.lines,
  ] as Located<WithSource & object>[][];
  for (const list of sections) out.push(...list);
  for (const g of raw.groups) {
    g.value.phases.forEach((p, i) => {
      out.push({ value: p, file: g.file, path: `${g.path}.phases[${i}]` });
    });
  }
  for (const l of raw.lines) {
    l.value.phases?.forEach((p, i) => {
      out.push({ value: p, file: l.file, path: `${l.path}.phases[${i}]` });
    });
  }
  return out;
}

/** A per-field `source` names only fields its entry has (or `entry`, for the rest). */
export function checkSources(ctx: CheckContext): void {
  for (const e of entries(ctx.raw)) {
    const s = e.value.source;
    if (s === undefined || typeof s === 'string') continue;
    for (const key of Object.keys(s)) {
      if (key !== ENTRY_KEY && !(key in e.value))
        ctx.add(
          e,
          `source.${key}`,
          `names no field of this entry (use "${ENTRY_KEY}" for the entry as a whole)`,
        );
    }
  }
}
