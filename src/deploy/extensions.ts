import type { RoutingPlan } from '../plan/compile.ts';
import { commentText, generatedHeader } from './header.ts';

export const EXTENSIONS_FILE = 'extensions-generated.conf';
/** Contexts of the generated file, included from the hand-written extensions.conf. */
export const NUMBERS_CONTEXT = 'hotline-numbers';
export const STASIS_CONTEXT = 'hotline-stasis';
/** Hand-written context (extensions.conf) that takes calls no engine accepted. */
export const FALLBACK_CONTEXT = 'hotline-fallback';

/**
 * The number-dependent dialplan: every number of the plan goes to `[hotline-stasis]`, which
 * enters one of the Stasis apps (picked at random per call, so calls spread over the apps' event
 * threads) with the dialed number as argument. An app no engine has registered returns at once
 * with STASISSTATUS=FAILED: the next app is tried, and when none accepts the call it goes to
 * `[hotline-fallback]`.
 */
export function generateExtensions(plan: RoutingPlan, apps: readonly string[], command: string): string {
  const out = [generatedHeader(EXTENSIONS_FILE, plan, command)];
  out.push(
    `; Every number the carrier (or a linked trunk) delivers for this plan, ${plan.linesByNumber.size} in all.`,
    `[${NUMBERS_CONTEXT}]`,
  );
  const lines = [...plan.linesByNumber.values()].sort((a, b) => a.number.localeCompare(b.number, 'en'));
  for (const line of lines) {
    out.push(
      `; ${line.number} ${commentText(line.name)} (${line.mode}, ${line.id})`,
      `exten => ${line.number},1,Goto(${STASIS_CONTEXT},\${EXTEN},1)`,
    );
  }
  out.push('', ...stasisContext(apps), '');
  return out.join('\n');
}

function stasisContext(apps: readonly string[]): string[] {
  const out = [
    `; Enters the engine: Stasis(<app>,<dialed number>) over ${apps.length} app name(s): ${apps.join(', ')}.`,
    '; STASISSTATUS=FAILED means no engine owns that app: try the next, then the safety net.',
    `[${STASIS_CONTEXT}]`,
  ];
  const tries = (start: number): string[] => {
    const steps: string[] = [];
    for (let k = 0; k < apps.length; k++) {
      const app = apps[(start + k) % apps.length];
      const label = k === 0 && apps.length > 1 ? `(start-${start + 1})` : '';
      steps.push(
        ` same => n${label},Stasis(${app},\${EXTEN})`,
        ` same => n,GotoIf($["\${STASISSTATUS}" != "FAILED"]?done)`,
      );
    }
    steps.push(` same => n,Goto(${FALLBACK_CONTEXT},\${EXTEN},1)`);
    return steps;
  };
  if (apps.length === 1) {
    out.push(`exten => _X.,1,NoOp(hotline \${EXTEN})`, ...tries(0));
  } else {
    out.push(`exten => _X.,1,Goto(start-\${RAND(1,${apps.length})})`);
    for (let start = 0; start < apps.length; start++) out.push(...tries(start));
  }
  out.push(' same => n(done),Hangup()');
  return out;
}
