import { GATED_VARIABLE, gateVariable, SHED_VARIABLE } from '../admission/gate.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { areaCodes, normalizeDialed } from '../plan/dialed.ts';
import { DIRECT_FAILED, directSubcenter } from '../plan/pbx-direct.ts';
import { SIP_CALL_ID_VARIABLE } from '../telephony/sip-call-id.ts';
import { commentText, generatedHeader } from './header.ts';

export const EXTENSIONS_FILE = 'extensions-generated.conf';
/** Contexts of the generated file, included from the hand-written extensions.conf. */
export const NUMBERS_CONTEXT = 'hotline-numbers';
export const STASIS_CONTEXT = 'hotline-stasis';
/** Sub-center lines the PBX puts straight through to their sub-center (see pbx-direct.ts). */
export const DIRECT_CONTEXT = 'hotline-direct';
/** Enters the engine after a failed direct dial, with the reason as Stasis arguments. */
export const DIRECT_FAILED_CONTEXT = 'hotline-stasis-direct-failed';
/** Hand-written context (extensions.conf) that takes calls no engine accepted. */
export const FALLBACK_CONTEXT = 'hotline-fallback';

/**
 * When no app accepts a call and none was gated (see below), the dialplan lets the caller hear
 * ringing and tries every app again, `rounds` times in all with `waitMs` between rounds, before
 * the safety net. An engine that is only reconnecting its WebSocket (ari-client retries after
 * 0.1 s, doubling) gets the call instead of the safety net: a blip of a second or two costs the
 * caller a few rings.
 */
export const STASIS_RETRY = { rounds: 3, waitMs: 2000 } as const;

/**
 * The number-dependent dialplan: every number of the plan goes to `[hotline-stasis]`, which
 * enters one of the Stasis apps (picked at random per call, so calls spread over the apps' event
 * threads) with the dialed number as argument. An app no engine has registered returns at once
 * with STASISSTATUS=FAILED: the next app is tried; when none accepts the call the caller hears
 * ringing and the apps are tried again (`STASIS_RETRY`), and only then does it go to
 * `[hotline-fallback]`.
 *
 * The admission gate (src/admission/gate.ts): before each Stasis() the context reads the app's
 * gate, the Asterisk global `gateVariable(app)` (`HOTLINE_GATE_HOTLINE_1` for `hotline-1`), which
 * the engine owning the app sets to its shed reason while it sheds, to `<reason>:<percent>` while
 * it still takes that share of new calls, and to '' while it takes every call. Each call draws a
 * number from 1 to 100 once; a closed gate, or a share below the draw, skips the app as if it had
 * failed, its reason kept in the channel variable HOTLINE_GATED (cleared at the start of each
 * round). A round no app took in which some app was
 * gated goes to `[hotline-fallback]` at once, with HOTLINE_SHED set to that reason: an engine is
 * alive but shedding, so ringing and retrying would only keep the caller in silence. A shed call
 * costs the engine nothing. With no gate set, calls go exactly as without the gate.
 *
 * A sub-center line on which 12345 does nothing (`directSubcenter`) goes to `[hotline-direct]`
 * instead: Dial() to its sub-center, the call never entering Stasis; only when that dial fails
 * does it enter the engine, through `[hotline-stasis-direct-failed]` (the same app rounds and
 * gate, with `direct-failed,subcenter:<id>,<DIALSTATUS>,<start>` after the number), and 12345's
 * fallback serves it.
 */
export function generateExtensions(plan: RoutingPlan, apps: readonly string[], command: string): string {
  const out = [generatedHeader(EXTENSIONS_FILE, plan, command)];
  out.push(
    `; Every number the carrier (or a linked trunk) delivers for this plan, ${plan.linesByNumber.size} in all.`,
    `[${NUMBERS_CONTEXT}]`,
  );
  const lines = [...plan.linesByNumber.values()].sort((a, b) => a.number.localeCompare(b.number, 'en'));
  const codes = areaCodes(plan.center.areaCode);
  const direct: string[] = [];
  for (const line of lines) {
    const sc = directSubcenter(plan, line);
    out.push(
      `; ${line.number} ${commentText(line.name)} (${line.mode}, ${line.id})${sc ? `: straight to sub-center "${sc.id}"` : ''}`,
    );
    // The engine matches the dialed number as it came (normalizeDialed); here every form a caller
    // may dial must reach it: the local number, and with the center's area code as dialed from a
    // mobile or another city, also after +86/0086.
    for (const { dialed, enters } of dialedForms(line.number, codes)) {
      const goto = sc ? `${DIRECT_CONTEXT},${line.number},1` : `${STASIS_CONTEXT},${enters ?? '${EXTEN}'},1`;
      out.push(`exten => ${dialed},1,Goto(${goto})`);
    }
    if (sc) {
      direct.push(
        `; ${line.number}: ${commentText(sc.name)}`,
        `exten => ${line.number},1,Set(HOTLINE_DIAL_START=\${EPOCH})`,
        ` same => n,Dial(${sc.dial},${sc.ringSeconds})`,
        ` same => n,GotoIf($["\${DIALSTATUS}" = "ANSWER"]?done)`,
        ` same => n,Log(NOTICE,sub-center ${sc.id} did not take call \${UNIQUEID} (DIALSTATUS=\${DIALSTATUS}): 12345 serves it)`,
        ` same => n,Set(HOTLINE_DIRECT=${DIRECT_FAILED},subcenter:${sc.id},\${DIALSTATUS},\${HOTLINE_DIAL_START})`,
        ` same => n,Goto(${DIRECT_FAILED_CONTEXT},\${EXTEN},1)`,
        ' same => n(done),Hangup()',
      );
    }
  }
  out.push('', ...stasisContext(STASIS_CONTEXT, apps, ''));
  if (direct.length > 0) {
    out.push(
      '',
      '; Sub-center lines (设分中心): the department keeps its number and agents, so the PBX puts',
      '; their calls straight through to the sub-center and 12345 does not answer them. When the',
      '; sub-center cannot take a call (busy, no answer, congestion, unreachable), the call enters',
      "; the engine with the reason and 12345's fallback (center.fallback) serves it, with a record.",
      `[${DIRECT_CONTEXT}]`,
      ...direct,
      '',
      ...stasisContext(DIRECT_FAILED_CONTEXT, apps, `,\${HOTLINE_DIRECT}`),
    );
  }
  out.push('');
  return out.join('\n');
}

/**
 * Channel variables of `[hotline-stasis]`: the gate just read (so that the checks and the reason
 * kept come from one read), the share of calls it lets through, and the call's draw.
 *
 * The gate itself is read as a plain `${HOTLINE_GATE_…}`: Asterisk looks for a channel variable
 * of that name, then for the global, and no channel sets that name (HOTLINE_SPOOL of
 * extensions.conf is read the same way). `${GLOBAL(…)}` would say the same but needs
 * func_global.so, which modules.conf does not load: without it the gate would read empty.
 * Reason and share are split with the expression parser's `:` (regular expression) operator,
 * built into Asterisk (CUT() would need func_cut.so).
 */
const APP_GATE = 'HOTLINE_APP_GATE';
const APP_SHARE = 'HOTLINE_APP_SHARE';
const DRAW = 'HOTLINE_DRAW';

function stasisContext(context: string, apps: readonly string[], extraArgs: string): string[] {
  const { rounds, waitMs } = STASIS_RETRY;
  const pick = apps.length === 1 ? 'start-1' : `start-\${RAND(1,${apps.length})}`;
  const gate = `\${${APP_GATE}}`;
  const out = [
    context === STASIS_CONTEXT
      ? `; Enters the engine: Stasis(<app>,<dialed number>) over ${apps.length} app name(s): ${apps.join(', ')}.`
      : `; The same, after a failed direct dial: Stasis(<app>,<dialed number>,${DIRECT_FAILED},subcenter:<id>,<DIALSTATUS>,<start>).`,
    '; Each round starts on an app picked at random and tries every app once:',
    '; - the admission gate: an engine that sheds load sets the global variable of each of its apps',
    `;   (${apps.map((a) => `${gateVariable(a)} for ${a}`).join(', ')}) to the reason`,
    ';   (loopDelayMs, forced, ...), or to <reason>:<percent> while it still takes that share of',
    `;   new calls, and empties it when it takes every call again. Each call draws ${DRAW}`,
    ';   (1-100) once: a closed gate, or a share below the draw, skips the app; the reason is kept',
    `;   in ${GATED_VARIABLE}. (The global is read as \${NAME}, like HOTLINE_SPOOL: no channel sets a`,
    ';   variable of that name, so the global is what is read.)',
    '; - STASISSTATUS=FAILED means no engine owns that app: try the next.',
    '; When no app took the call: if one was gated, an engine is alive but shedding, so the caller',
    `; goes to the safety net at once with ${SHED_VARIABLE}=<reason> (no ringing: the caller hears the`,
    '; greeting within a second). Otherwise (an engine reconnecting its WebSocket) ring and try them',
    `; all again, ${rounds} rounds ${waitMs / 1000} s apart, then take the safety net.`,
    `; The carrier's SIP Call-ID goes with the call into the engine (ari.conf channelvars): the`,
    `; edge may bring one call to two nodes, and the engines serve one channel of it.`,
    `[${context}]`,
    `exten => _X.,1,Set(HOTLINE_ROUND=1)`,
    ` same => n,GotoIf($["\${CHANNEL(channeltype)}" != "PJSIP"]?draw)`,
    ` same => n,Set(${SIP_CALL_ID_VARIABLE}=\${CHANNEL(pjsip,call-id)})`,
    ` same => n(draw),Set(${DRAW}=\${RAND(1,100)})`,
    ` same => n(round),Set(${GATED_VARIABLE}=)`,
    ` same => n,Goto(${pick})`,
  ];
  for (let start = 0; start < apps.length; start++) {
    const order = apps.map((_, k) => apps[(start + k) % apps.length]!);
    out.push(`; start-${start + 1}: ${order.join(', then ')}`);
    order.forEach((app, k) => {
      const label = k === 0 ? `start-${start + 1}` : `try-${start + 1}-${k + 1}`;
      const enter = `enter-${start + 1}-${k + 1}`;
      const next = k + 1 < order.length ? `try-${start + 1}-${k + 2}` : 'no-app';
      out.push(
        ` same => n(${label}),Set(${APP_GATE}=\${${gateVariable(app)}})`,
        ` same => n,GotoIf($["${gate}" = ""]?${enter})`,
        ` same => n,Set(${APP_SHARE}=$["${gate}" : "[^:]*:([0-9]*)"])`,
        ` same => n,GotoIf($[0\${${APP_SHARE}} >= \${${DRAW}}]?${enter})`,
        ` same => n,Set(${GATED_VARIABLE}=$["${gate}" : "([^:]*)"])`,
        ` same => n,Goto(${next})`,
        ` same => n(${enter}),Stasis(${app},\${EXTEN}${extraArgs})`,
        ` same => n,GotoIf($["\${STASISSTATUS}" != "FAILED"]?done)`,
      );
    });
    out.push(' same => n,Goto(no-app)');
  }
  out.push(
    '; No app took the call in this round.',
    ` same => n(no-app),GotoIf($["\${${GATED_VARIABLE}}" != ""]?shed)`,
    ` same => n,GotoIf($[\${HOTLINE_ROUND} >= ${rounds}]?${FALLBACK_CONTEXT},\${EXTEN},1)`,
    ` same => n,Set(HOTLINE_ROUND=$[\${HOTLINE_ROUND} + 1])`,
    ' same => n,Ringing()',
    ` same => n,Wait(${waitMs / 1000})`,
    ' same => n,Goto(round)',
    '; An engine is shedding: the safety net now, telling it why.',
    ` same => n(shed),Set(${SHED_VARIABLE}=\${${GATED_VARIABLE}})`,
    ` same => n,Goto(${FALLBACK_CONTEXT},\${EXTEN},1)`,
    ' same => n(done),Hangup()',
  );
  return out;
}

/**
 * The forms of a plan number a carrier may deliver: as listed, and with each area code of the
 * center (as dialed nationally, and after +86/0086). `enters`: the number the call enters the
 * Stasis context with when not the dialed one (`[hotline-stasis]` matches digits only, `_X.`, so
 * a `+86…` call enters with its national form).
 */
export function dialedForms(number: string, codes: readonly string[]): { dialed: string; enters?: string }[] {
  const forms: { dialed: string; enters?: string }[] = [{ dialed: number }];
  for (const code of codes) {
    const national = `${code}${number}`;
    // Only where the engine maps it back to this line (a local number after the area code).
    if (normalizeDialed(national, codes).number !== number) continue;
    const international = national.replace(/^0/, '');
    forms.push(
      { dialed: national },
      { dialed: `+86${international}`, enters: national },
      { dialed: `0086${international}` },
    );
  }
  return forms;
}
