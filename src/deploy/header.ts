import type { RoutingPlan } from '../plan/compile.ts';

/** Text safe inside a one-line `;` comment of an Asterisk configuration file. */
export function commentText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** The banner of a generated file: where it comes from and how to regenerate it. */
export function generatedHeader(file: string, plan: RoutingPlan, command: string): string {
  return [
    `; ${file} — GENERATED from the routing plan "${plan.center.id}" (${commentText(plan.center.name)}).`,
    '; Do not edit: change the rules, then regenerate with',
    `;   ${command}`,
    '; (a test compares the committed file with the command output for the default plan).',
    '',
  ].join('\n');
}
