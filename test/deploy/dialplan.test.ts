import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHED_REASONS } from '../../src/admission/admission.ts';
import {
  ENGINE_SHED_CONTEXT,
  gateVariable,
  RECORDED_BY_ENGINE,
  RECORDED_VARIABLE,
  SHED_VARIABLE,
} from '../../src/admission/gate.ts';
import { dialplanCommand } from '../../src/cli/dialplan.ts';
import { UsageError } from '../../src/cli/io.ts';
import { dialTargets, pjsipEndpoint } from '../../src/deploy/dial-targets.ts';
import { EXTENSIONS_FILE, generateExtensions, STASIS_RETRY } from '../../src/deploy/extensions.ts';
import { generatedFiles } from '../../src/deploy/generated-files.ts';
import { addressHost, isIpLiteral, PeersFileError, parsePeers } from '../../src/deploy/peers.ts';
import { CARRIER, generatePjsipTrunks, PJSIP_TRUNKS_FILE } from '../../src/deploy/pjsip-trunks.ts';
import { parseStasisApps, StasisAppsError } from '../../src/deploy/stasis-apps.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { directSubcenter } from '../../src/plan/pbx-direct.ts';
import {
  confValue,
  dialplanSteps,
  evalExpressions,
  extenMatches,
  parseConf,
  sectionsOfType,
} from './asterisk-conf.ts';

const root = join(import.meta.dirname, '../..');
const dialplanDir = join(root, 'dialplan');
const plans = ['routing-rules', 'routing-rules/examples/puyang', 'routing-rules/examples/jilin'];
/** The apps the committed files are generated for (docker-compose.yml's ARI_APP). */
const committedApps = ['hotline-1', 'hotline-2'];

const handWritten = (name: string) => parseConf(readFileSync(join(dialplanDir, name), 'utf8'));

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = dialplanCommand(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

/** Follows the dialplan from [hotline-numbers] and returns the Stasis apps a number can enter. */
function stasisAppsReached(extensions: string, number: string): string[] {
  const steps = dialplanSteps(parseConf(extensions));
  const first = steps.find((s) => s.context === 'hotline-numbers' && s.exten === number);
  if (first?.app !== 'Goto') return [];
  const [context, exten] = first.args.split(',');
  if (exten !== `\${EXTEN}` && !/^[0-9]+$/.test(exten ?? '')) return [];
  const entered = exten === `\${EXTEN}` ? number : exten!;
  const apps = steps
    .filter((s) => s.context === context && extenMatches(s.exten, entered) && s.app === 'Stasis')
    .map((s) => {
      const [app, arg] = s.args.split(',');
      return arg === `\${EXTEN}` ? (app ?? '') : '';
    })
    .filter(Boolean);
  return [...new Set(apps)];
}

interface StasisWalk {
  /** The apps whose Stasis() was entered, in order. */
  tried: string[];
  /** Gate reads and Stasis() entries in order: `gate:<app>`, `stasis:<app>`. */
  trace: string[];
  waitedSeconds: number;
  /** Where the call left the context: `done` (an app took it) or the Goto target. */
  end: string;
  /** HOTLINE_SHED when the call left (empty when not set). */
  shed: string;
}

/**
 * Runs [hotline-stasis] for a call to 12345 as Asterisk would: `accepts(app, attempt)` says
 * whether that Stasis() finds an engine; `gate(app)` is the app's admission gate as the engine
 * set the global (gateVariable(app); '' while open, `<reason>` or `<reason>:<percent>`); the app
 * picked first is RAND(1,<apps>) = `rand`, the call's draw RAND(1,100) = `draw`. Returns what was
 * read and tried, the seconds waited and where the call left the context.
 */
function walkStasis(
  extensions: string,
  accepts: (app: string, attempt: number) => boolean,
  rand = 1,
  gate: (app: string) => string = () => '',
  draw = 50,
): StasisWalk {
  const steps = dialplanSteps(parseConf(extensions)).filter((s) => s.context === 'hotline-stasis');
  const apps = new Set(steps.filter((s) => s.app === 'Stasis').map((s) => s.args.split(',')[0]!));
  const gates = new Map([...apps].map((a) => [gateVariable(a), a]));
  const vars: Record<string, string> = { EXTEN: '12345' };
  const tried: string[] = [];
  const trace: string[] = [];
  const read = (name: string): string => {
    const app = gates.get(name);
    if (app === undefined || name in vars) return vars[name] ?? '';
    trace.push(`gate:${app}`);
    return gate(app);
  };
  const expand = (t: string): string =>
    evalExpressions(
      t
        .replace(/\$\{RAND\(1,100\)\}/g, String(draw))
        .replace(/\$\{RAND\(\d+,\d+\)\}/g, String(rand))
        .replace(/\$\{(\w+)\}/g, (_, v) => read(v)),
    );
  let waitedSeconds = 0;
  let pc = 0;
  const left = (end: string): StasisWalk => ({
    tried,
    trace,
    waitedSeconds,
    end,
    shed: vars.HOTLINE_SHED ?? '',
  });
  const jump = (target: string): string | undefined => {
    if (target.includes(',')) return target;
    pc = steps.findIndex((s) => s.label === target);
    if (pc < 0) throw new Error(`no label ${target}`);
    return undefined;
  };
  for (let guard = 0; guard < 1000; guard++) {
    const step = steps[pc++];
    if (!step) return left('fell off');
    const args = expand(step.args);
    if (step.app === 'Set') {
      const i = args.indexOf('=');
      vars[args.slice(0, i)] = args.slice(i + 1);
    } else if (step.app === 'Stasis') {
      const app = args.split(',')[0]!;
      tried.push(app);
      trace.push(`stasis:${app}`);
      vars.STASISSTATUS = accepts(app, tried.length) ? 'SUCCESS' : 'FAILED';
    } else if (step.app === 'Wait') waitedSeconds += Number(args);
    else if (step.app === 'Goto') {
      const out = jump(args);
      if (out) return left(out);
    } else if (step.app === 'GotoIf') {
      const [cond, target] = args.split('?') as [string, string];
      if (cond.trim() === '1') {
        const out = jump(target);
        if (out) return left(out);
      }
    } else if (step.app === 'Hangup') return left('done');
  }
  throw new Error('the dialplan loops');
}

describe('the generated dialplan', () => {
  it.each(plans)('sends every number of %s into each Stasis app with the number as argument', (dir) => {
    const { plan } = loadPlan(join(root, dir));
    const text = generateExtensions(plan, committedApps, 'test');
    expect(plan.linesByNumber.size).toBeGreaterThan(0);
    for (const [number, line] of plan.linesByNumber) {
      // sub-center lines the PBX puts straight through: dialplan-direct.test.ts
      if (directSubcenter(plan, line)) continue;
      expect(stasisAppsReached(text, number).sort(), number).toEqual(committedApps);
    }
  });

  it("takes Puyang's local lines as callers dial them from a mobile or another city", () => {
    const { plan } = loadPlan(join(root, 'routing-rules/examples/puyang'));
    const text = generateExtensions(plan, committedApps, 'test');
    for (const dialed of ['4420000', '03934420000', '+863934420000', '00863934420000', '039312345']) {
      expect(stasisAppsReached(text, dialed).sort(), dialed).toEqual(committedApps);
    }
    // Numbers that are not the center's stay unknown to the dialplan.
    expect(stasisAppsReached(text, '03714420000')).toEqual([]);
  });

  it('tries the next app, then rings and tries them all again, then the safety net', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generateExtensions(plan, ['a', 'b', 'c'], 'test');
    const nobody = walkStasis(text, () => false);
    expect(nobody.tried).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
    expect(nobody.waitedSeconds).toBe(((STASIS_RETRY.rounds - 1) * STASIS_RETRY.waitMs) / 1000);
    expect(nobody.end).toBe(`hotline-fallback,12345,1`);
    // An engine back on its WebSocket during the second round gets the call.
    const back = walkStasis(text, (_app, attempt) => attempt === 5);
    expect(back).toMatchObject({ tried: ['a', 'b', 'c', 'a', 'b'], waitedSeconds: 2, end: 'done' });
    const first = walkStasis(text, () => true);
    expect(first).toMatchObject({ tried: ['a'], waitedSeconds: 0, end: 'done' });
  });

  it('reads the admission gate of each app just before its Stasis(), every round', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generateExtensions(plan, ['a', 'b', 'c'], 'test');
    const nobody = walkStasis(text, () => false, 2);
    expect(nobody.trace.slice(0, 6)).toEqual([
      'gate:b',
      'stasis:b',
      'gate:c',
      'stasis:c',
      'gate:a',
      'stasis:a',
    ]);
    expect(nobody.trace).toHaveLength(2 * 3 * STASIS_RETRY.rounds);
    // the gate is the Asterisk global the engine sets for the app
    expect(text).toContain(`Set(HOTLINE_APP_GATE=\${${gateVariable('a')}})`);
    expect(gateVariable('hotline-1')).toBe('HOTLINE_GATE_HOTLINE_1');
  });

  it('skips a gated app and enters the next one, with no ringing', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generateExtensions(plan, ['a', 'b', 'c'], 'test');
    const r = walkStasis(
      text,
      () => true,
      1,
      (app) => (app === 'a' ? 'loopDelayMs' : ''),
    );
    expect(r).toMatchObject({ tried: ['b'], waitedSeconds: 0, end: 'done', shed: '' });
    expect(r.trace).toEqual(['gate:a', 'gate:b', 'stasis:b']);
  });

  it('takes the safety net at once, with HOTLINE_SHED, when every app is gated', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generateExtensions(plan, ['a', 'b', 'c'], 'test');
    const r = walkStasis(
      text,
      () => true,
      3,
      () => 'forced',
    );
    expect(r).toEqual({
      tried: [],
      trace: ['gate:c', 'gate:a', 'gate:b'],
      waitedSeconds: 0,
      end: 'hotline-fallback,12345,1',
      shed: 'forced',
    });
  });

  it('lets a call through a gate open to a share (<reason>:<percent>) when its draw is within the share', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generateExtensions(plan, ['a', 'b'], 'test');
    const half = () => 'loopDelayMs:50';
    // one draw per call, from 1 to 100: 50 or less enters
    expect(walkStasis(text, () => true, 1, half, 50)).toMatchObject({ tried: ['a'], end: 'done', shed: '' });
    expect(walkStasis(text, () => true, 1, half, 51)).toMatchObject({
      tried: [],
      waitedSeconds: 0,
      end: 'hotline-fallback,12345,1',
      shed: 'loopDelayMs',
    });
    // the share is the engine's: an app whose gate is closed is still skipped
    const r = walkStasis(
      text,
      () => true,
      1,
      (app) => (app === 'a' ? 'forced' : 'rest503:99'),
      99,
    );
    expect(r).toMatchObject({ tried: ['b'], end: 'done' });
    // a share that is not a number closes the gate, with the reason before the colon
    expect(
      walkStasis(
        text,
        () => true,
        1,
        () => 'forced:all',
        1,
      ),
    ).toMatchObject({ tried: [], shed: 'forced' });
  });

  it('takes the safety net at once when one app is gated and the others have no engine', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generateExtensions(plan, ['a', 'b', 'c'], 'test');
    const r = walkStasis(
      text,
      () => false,
      1,
      (app) => (app === 'b' ? 'rest503' : ''),
    );
    expect(r).toMatchObject({
      tried: ['a', 'c'],
      waitedSeconds: 0,
      end: 'hotline-fallback,12345,1',
      shed: 'rest503',
    });
  });

  it('with every gate open, rings and retries as before and never sets HOTLINE_SHED', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generateExtensions(plan, ['a', 'b'], 'test');
    const r = walkStasis(text, () => false);
    expect(r).toMatchObject({
      tried: ['a', 'b', 'a', 'b', 'a', 'b'],
      waitedSeconds: ((STASIS_RETRY.rounds - 1) * STASIS_RETRY.waitMs) / 1000,
      end: 'hotline-fallback,12345,1',
      shed: '',
    });
    // each round starts with no gated reason, whatever the channel came with
    const steps = dialplanSteps(parseConf(text)).filter((s) => s.context === 'hotline-stasis');
    expect(steps.find((s) => s.label === 'round')).toMatchObject({ app: 'Set', args: 'HOTLINE_GATED=' });
    expect(steps.filter((s) => s.app === 'Goto' && s.args === 'round')).toHaveLength(1);
    // labels only: no relative priorities (n+2 and the like)
    expect(text).not.toMatch(/GotoIf\([^)]*\?\s*\d/);
  });

  it('starts on each app in turn, so calls spread over the apps', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generateExtensions(plan, ['a', 'b', 'c'], 'test');
    expect([1, 2, 3].map((r) => walkStasis(text, () => false, r).tried.slice(0, 3))).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
    ]);
  });

  it('enters a single app without picking at random', () => {
    const { plan } = loadPlan(join(root, 'routing-rules/examples/jilin'));
    const text = generateExtensions(plan, ['hotline'], 'test');
    // RAND only draws the call's number for a gate open to a share, never the app
    expect(text).not.toMatch(/Goto\(start-\$\{RAND/);
    expect(text).toContain('Goto(start-1)');
    expect(text.match(/RAND\(/g)).toEqual(['RAND(']);
    expect(stasisAppsReached(text, '12345')).toEqual(['hotline']);
  });

  it('is #included by extensions.conf, whose safety net queues, then records a message', () => {
    const conf = handWritten('extensions.conf');
    expect(conf.includes).toContain(EXTENSIONS_FILE);
    for (const ctx of ['from-carrier', 'from-trunks']) {
      const section = conf.sections.find((s) => s.name === ctx);
      expect(section?.entries.filter(([k]) => k === 'include').map(([, v]) => v)).toEqual([
        'hotline-numbers',
        'hotline-unknown-number',
      ]);
    }
    const fallback = dialplanSteps(conf).filter((s) => s.context === 'hotline-fallback');
    const apps = fallback.map((s) => s.app);
    expect(apps).toContain('Answer');
    expect(apps.indexOf('Queue')).toBeLessThan(apps.indexOf('Record'));
    expect(fallback.find((s) => s.app === 'Queue')?.args.split(',')[0]).toBe('hotline-safety-net');
    expect(handWritten('queues.conf').sections.map((s) => s.name)).toContain('hotline-safety-net');
  });

  it('hands a call the engine shed itself to the safety net, marked as recorded, with the reason its label names', () => {
    const steps = dialplanSteps(handWritten('extensions.conf')).filter(
      (s) => s.context === ENGINE_SHED_CONTEXT,
    );
    expect(new Set(steps.map((s) => s.exten))).toEqual(new Set(['_X.']));
    /** Runs the context from a label (or priority 1) as Asterisk would: the variables set, where it goes. */
    const from = (label?: string) => {
      const vars: Record<string, string> = {};
      let pc = label === undefined ? 0 : steps.findIndex((s) => s.label === label);
      expect(pc, `label ${label}`).toBeGreaterThanOrEqual(0);
      for (let guard = 0; guard < 50; guard++) {
        const step = steps[pc++]!;
        if (step.app === 'Set') {
          const i = step.args.indexOf('=');
          vars[step.args.slice(0, i)] = step.args.slice(i + 1);
        } else if (step.app === 'Goto' && step.args.includes(',')) return { vars, to: step.args };
        else if (step.app === 'Goto') pc = steps.findIndex((s) => s.label === step.args);
        else throw new Error(`unexpected ${step.app}`);
      }
      throw new Error('loops');
    };
    // every reason the engine may shed for is a label (ARI continue with label=<reason>)
    for (const reason of SHED_REASONS) {
      expect(from(reason)).toEqual({
        vars: { [SHED_VARIABLE]: reason, [RECORDED_VARIABLE]: RECORDED_BY_ENGINE },
        to: `hotline-fallback,\${EXTEN},1`,
      });
    }
    // priority 1 keeps the reason the channel came with
    expect(from()).toEqual({
      vars: { [RECORDED_VARIABLE]: RECORDED_BY_ENGINE },
      to: `hotline-fallback,\${EXTEN},1`,
    });
  });

  it('logs why a shed call takes the safety net, and its note says so (shed=, recorded=)', () => {
    const fallback = dialplanSteps(handWritten('extensions.conf')).filter(
      (s) => s.context === 'hotline-fallback',
    );
    const first = fallback.filter((s) => s.exten === '_X.');
    expect(first[0]).toMatchObject({ app: 'GotoIf', args: `$["\${${SHED_VARIABLE}}" != ""]?shed` });
    expect(first.find((s) => s.label === 'shed')).toMatchObject({ app: 'Log' });
    expect(first.find((s) => s.label === 'shed')?.args).toContain(`(\${${SHED_VARIABLE}})`);
    const note = fallback.find((s) => s.exten === 'h' && s.label === 'write')?.args ?? '';
    // one line of key=value pairs, the new keys last; values may be empty
    expect(
      note.endsWith(
        ` cause=\${HANGUPCAUSE} shed=\${FILTER(A-Za-z0-9_,\${${SHED_VARIABLE}})} recorded=\${${RECORDED_VARIABLE}}`,
      ),
    ).toBe(true);
  });
});

describe('the generated trunks', () => {
  it('reads the endpoint of PJSIP dial strings', () => {
    expect(pjsipEndpoint('PJSIP/12366@sc-tax')).toBe('sc-tax');
    expect(pjsipEndpoint('PJSIP/sc-tax')).toBe('sc-tax');
    expect(pjsipEndpoint('PJSIP/sc-tax/sip:12366@10.0.0.5')).toBe('sc-tax');
    expect(pjsipEndpoint('Local/12366@from-internal')).toBeUndefined();
  });

  it.each(plans)('define an endpoint, AOR and identify for every dial-string trunk of %s', (dir) => {
    const { plan } = loadPlan(join(root, dir));
    const files = new Map(generatedFiles(plan, committedApps));
    // pjsip.conf defines the templates and includes the generated file at its end
    const pjsip = readFileSync(join(dialplanDir, 'pjsip.conf'), 'utf8');
    const merged = parseConf(`${pjsip}\n${files.get(PJSIP_TRUNKS_FILE)}`);
    const endpoints = sectionsOfType(merged, 'endpoint').map((s) => s.name);
    const dials = [
      ...plan.subcenters.values(),
      ...plan.emergency.values(),
      ...plan.centers.values(),
      ...plan.directory.values(),
    ].map((t) => t.dial);
    expect(dials.length).toBeGreaterThan(0);
    for (const dial of dials) {
      const trunk = pjsipEndpoint(dial);
      expect(endpoints, dial).toContain(trunk);
      const endpoint = sectionsOfType(merged, 'endpoint').find((s) => s.name === trunk)!;
      expect(confValue(merged, endpoint, 'context')).toBe('from-trunks');
      expect(sectionsOfType(merged, 'aor').map((s) => s.name)).toContain(trunk);
      expect(sectionsOfType(merged, 'identify').map((s) => s.name)).toContain(trunk);
    }
    expect(dialTargets(plan).unmanaged).toEqual([]);
  });

  it('place the carrier and every trunk at an IP literal of peers.yaml (PJSIP never reads /etc/hosts)', () => {
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const committed = parseConf(readFileSync(join(dialplanDir, PJSIP_TRUNKS_FILE), 'utf8'));
    const aors = sectionsOfType(
      parseConf(
        `${readFileSync(join(dialplanDir, 'pjsip.conf'), 'utf8')}\n${readFileSync(join(dialplanDir, PJSIP_TRUNKS_FILE), 'utf8')}`,
      ),
      'aor',
    );
    const names = [CARRIER, ...dialTargets(plan).trunks.map((t) => t.endpoint)];
    for (const name of names) {
      const aor = aors.find((s) => s.name === name);
      const contact = aor?.entries.find(([k]) => k === 'contact')?.[1] ?? '';
      expect(isIpLiteral(contact.replace(/^sip:/, '')), `${name}: ${contact}`).toBe(true);
      const identify = committed.sections.find(
        (s) => s.name === name && s.templates.includes('hotline-trunk-identify'),
      );
      const match = identify?.entries.find(([k]) => k === 'match')?.[1] ?? '';
      for (const m of match.split(',')) expect(isIpLiteral(m), `${name} match ${m}`).toBe(true);
    }
  });

  it('read peers: IP, IP:port, [IPv6]:port or a DNS name, with optional source matches', () => {
    const peers = parsePeers(
      'carrier: { address: 192.0.2.1, match: [192.0.2.1, 192.0.2.0/28] }\nsc-tax: 192.0.2.5:5070\nemergency: "[2001:db8::5]:5060"\nchongqing: sip.example.org\n',
    );
    expect(peers.get('carrier')).toEqual({ address: '192.0.2.1', match: ['192.0.2.1', '192.0.2.0/28'] });
    expect(peers.get('sc-tax')).toEqual({ address: '192.0.2.5:5070', match: ['192.0.2.5'] });
    expect(peers.get('emergency')?.match).toEqual(['2001:db8::5']);
    expect(isIpLiteral('sip.example.org')).toBe(false);
    expect(addressHost('300.1.2.3')).toBeUndefined();
    expect(addressHost('10.0.0.1:99999')).toBeUndefined();
    expect(() => parsePeers('sc-tax: "not an address!"\n')).toThrow(PeersFileError);
    const { plan } = loadPlan(join(root, 'routing-rules'));
    const text = generatePjsipTrunks(plan, 'test', peers);
    expect(text).toContain('[sc-tax](hotline-trunk-aor)\ncontact=sip:192.0.2.5:5070');
    expect(text).toContain('match=192.0.2.1,192.0.2.0/28');
    // a trunk missing from peers.yaml keeps its DNS name, and says so
    expect(text).toContain('[sc-postal](hotline-trunk-aor)\ncontact=sip:sc-postal');
    expect(text).toMatch(/not in peers\.yaml: reached by DNS name\n\[sc-postal\]/);
    expect(() => generatePjsipTrunks(plan, 'test', parsePeers('sc-taxx: 192.0.2.9\n'))).toThrow(/sc-taxx/);
  });

  it('keep the carrier and the example agent of pjsip.conf apart from the plan trunks', () => {
    const conf = handWritten('pjsip.conf');
    // and, last, this node's SIP address when the entrypoint has one (several nodes on one host)
    expect(conf.includes).toEqual([PJSIP_TRUNKS_FILE, '/run/hotline/node-pjsip.conf']);
    const carrier = sectionsOfType(conf, 'endpoint').find((s) => s.name === 'carrier')!;
    expect(confValue(conf, carrier, 'context')).toBe('from-carrier');
    const agent = sectionsOfType(conf, 'endpoint').find((s) => s.name === 'agent1001')!;
    expect(confValue(conf, agent, 'auth')).toBe('agent1001');
    expect(sectionsOfType(conf, 'auth').map((s) => s.name)).toContain('agent1001');
    const aor = sectionsOfType(conf, 'aor').find((s) => s.name === 'agent1001')!;
    expect(Number(confValue(conf, aor, 'max_contacts'))).toBeGreaterThan(0);
    expect(confValue(conf, agent, 'dtmf_mode')).toBe('rfc4733');
    expect(confValue(conf, agent, 'direct_media')).toBe('no');
    expect(sectionsOfType(conf, 'transport').map((s) => confValue(conf, s, 'protocol'))).toEqual([
      'udp',
      'tcp',
    ]);
  });
});

describe('the hotline dialplan command', () => {
  it('wrote the committed files: they equal its output for the Sichuan plan', () => {
    const out = mkdtempSync(join(tmpdir(), 'hotline-dialplan-'));
    try {
      const r = run([
        '--rules',
        join(root, 'routing-rules'),
        '--apps',
        committedApps.join(','),
        '--peers',
        'dialplan/peers.yaml',
        '--out',
        out,
      ]);
      expect(r.code).toBe(0);
      for (const name of [EXTENSIONS_FILE, PJSIP_TRUNKS_FILE]) {
        expect(readFileSync(join(dialplanDir, name), 'utf8'), `dialplan/${name} is stale`).toBe(
          readFileSync(join(out, name), 'utf8'),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('prints both files when no --out is given', () => {
    const r = run(['--rules', join(root, 'routing-rules/examples/puyang'), '--apps', 'x']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('[hotline-numbers]');
    expect(r.out).toContain('[sc-tax](hotline-trunk-endpoint)');
    expect(r.out).toContain(`Stasis(x,\${EXTEN})`);
  });

  it('rejects app names the engine would not accept', () => {
    expect(() => parseStasisApps('a,,b')).toThrow(StasisAppsError);
    expect(() => parseStasisApps('a,a')).toThrow(/repeat/);
    expect(() => run(['--apps', 'bad name'])).toThrow(UsageError);
  });

  it('exits 1 with FILE:PATH lines for invalid rules', () => {
    const r = run(['--rules', join(root, 'test')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no rules files/);
  });
});
