import { ENGINE_PROMPTS, enginePlayed } from '../../prompts/engine-prompts.ts';
import { isComposed, isPromptParameter } from '../../prompts/manifest.ts';
import { DATE_FRAGMENTS, DIGIT_FRAGMENTS } from '../../prompts/say-number.ts';
import { parseRef } from '../ref.ts';
import type { RouteRule } from '../schema.ts';
import type { CheckContext } from './context.ts';

/** Where a prompt is named in the rules. */
interface PromptUse {
  id: string;
  file: string;
  path: string;
  /** The route is a phase's with an end (`until`), so `{until}` has a value there. */
  phaseWithEnd: boolean;
}

/**
 * The prompt manifest against the plan, once every section has been read:
 * - a composed prompt's parts are recorded prompts of the manifest (a problem otherwise);
 * - a prompt saying `{until}` is only played by the route of a phase that ends (a problem
 *   otherwise: the notice would say "本号码将于…停止使用" with no date);
 * - a prompt of the manifest written for this plan (no `centers`, or `centers` naming it) that
 *   no route, menu, answer, self-service or greeting plays and the engine does not play itself
 *   (ENGINE_PROMPTS) is reported as a warning, at its manifest entry.
 */
export function checkPrompts(ctx: CheckContext): void {
  const { raw, add } = ctx;
  raw.prompts.forEach((entry) => {
    const v = entry.value;
    if (!isComposed(v)) return;
    v.say.forEach((item, i) => {
      if (isPromptParameter(item)) return;
      const part = raw.prompts.get(item)?.value;
      if (!part) add(entry, `say[${i}]`, `prompt "${item}" is not in the prompt manifest`);
      else if (isComposed(part))
        add(entry, `say[${i}]`, `"${item}" is itself composed; a composed prompt says recorded prompts only`);
    });
  });

  const uses = promptUses(ctx);
  for (const use of uses) {
    const entry = raw.prompts.get(use.id)?.value;
    if (entry && isComposed(entry) && entry.say.includes('{until}') && !use.phaseWithEnd) {
      add(
        use,
        '',
        `prompt "${use.id}" says {until} (the day the phase ends), so only the route of a phase with \`until\` may play it`,
      );
    }
  }

  const used = enginePlayed({
    progressQuery: raw.selfService.some((s) => s.value.kind === 'progress-query'),
  });
  for (const use of uses) used.add(use.id);
  for (const id of [...used]) {
    const entry = raw.prompts.get(id)?.value;
    if (!entry || !isComposed(entry)) continue;
    for (const item of entry.say) {
      if (item === '{number}') for (const f of DIGIT_FRAGMENTS) used.add(f);
      else if (item === '{until}') for (const f of DATE_FRAGMENTS) used.add(f);
      else used.add(item);
    }
  }

  // Not reported on their own: what the engine plays itself (whatever the plan) and the parts
  // of composed prompts (reported through the prompt they compose).
  const notOwn = new Set(ENGINE_PROMPTS.flatMap((e) => e.ids));
  raw.prompts.forEach((entry) => {
    if (isComposed(entry.value)) for (const item of entry.value.say) notOwn.add(item);
  });
  const center = raw.center.value.id;
  raw.prompts.forEach((entry, id) => {
    const forThisPlan = entry.value.centers === undefined || entry.value.centers.includes(center);
    if (!forThisPlan || used.has(id) || notOwn.has(id)) return;
    ctx.warnings.push({
      file: entry.file,
      path: entry.path,
      message:
        `prompt "${id}" is not played in this plan (center "${center}"): no route, menu, answer, ` +
        'self-service or greeting names it and the engine does not play it itself; remove it, or ' +
        'list in its `centers` the plans that play it',
    });
  });
}

/** Every place the rules name a prompt: routes (prompts, `announcement:`), greeting, menus, answers, self-service. */
function promptUses(ctx: CheckContext): PromptUse[] {
  const { raw } = ctx;
  const endingPhaseRoutes = new Set<RouteRule>();
  for (const owner of [...raw.groups, ...raw.lines]) {
    for (const phase of owner.value.phases ?? [])
      if (phase.until !== undefined) endingPhaseRoutes.add(phase.route);
  }
  const uses: PromptUse[] = [];
  for (const site of ctx.sites) {
    const phaseWithEnd = endingPhaseRoutes.has(site.route);
    site.route.prompts.forEach((id, i) => {
      uses.push({ id, file: site.file, path: `${site.path}.prompts[${i}]`, phaseWithEnd });
    });
    const ref = parseRef(site.route.goto);
    if (typeof ref !== 'string' && ref.kind === 'announcement')
      uses.push({ id: ref.id, file: site.file, path: `${site.path}.goto`, phaseWithEnd });
  }
  raw.center.value.greeting.forEach((id, i) => {
    uses.push({ id, file: raw.center.file, path: `center.greeting[${i}]`, phaseWithEnd: false });
  });
  // Every field of a menu, answer or self-service named `prompt` or `…Prompt` names one.
  for (const item of [...raw.menus, ...raw.answers, ...raw.selfService]) {
    for (const [key, value] of Object.entries(item.value)) {
      if (/(^p|P)rompt$/.test(key) && typeof value === 'string')
        uses.push({ id: value, file: item.file, path: `${item.path}.${key}`, phaseWithEnd: false });
    }
  }
  return uses;
}
