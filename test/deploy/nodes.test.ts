import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialplanCommand } from '../../src/cli/dialplan.ts';
import { NODE_NAME, PeersFileError, parsePeers } from '../../src/deploy/peers.ts';
import {
  generatePjsipTrunks,
  NODES_CONTEXT,
  nodeEndpoint,
  PJSIP_TRUNKS_FILE,
  peersNeedingDns,
  remoteAgentDial,
} from '../../src/deploy/pjsip-trunks.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { confValue, dialplanSteps, parseConf, sectionsOfType } from './asterisk-conf.ts';

const root = join(import.meta.dirname, '../..');
const dialplanDir = join(root, 'dialplan');
const read = (name: string) => readFileSync(join(dialplanDir, name), 'utf8');
const { plan } = loadPlan(join(root, 'routing-rules'));

const twoNodes =
  'carrier: { address: 192.0.2.1, match: [192.0.2.1, 192.0.2.20] }\nnodes:\n  a: 192.0.2.21\n  b: { address: "192.0.2.22:5070", match: [192.0.2.22, 192.0.2.23] }\n';

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = dialplanCommand(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

/** pjsip.conf with the generated trunks for `peers`, as Asterisk reads them. */
const merged = (peersYaml: string) =>
  parseConf(`${read('pjsip.conf')}\n${generatePjsipTrunks(plan, 'test', parsePeers(peersYaml))}`);

describe('the nodes of peers.yaml', () => {
  it('reads an address or { address, match } per node, apart from the peers', () => {
    const peers = parsePeers(twoNodes);
    expect([...peers.keys()]).toEqual(['carrier']);
    expect(peers.nodes).toEqual(
      new Map([
        ['a', { address: '192.0.2.21', match: ['192.0.2.21'] }],
        ['b', { address: '192.0.2.22:5070', match: ['192.0.2.22', '192.0.2.23'] }],
      ]),
    );
    // without nodes: a file as before
    expect(parsePeers('carrier: 192.0.2.1\n').nodes).toBeUndefined();
    expect(parsePeers('nodes:\n').nodes).toEqual(new Map());
  });

  it('refuses node names outside the contract, naming the file and the path', () => {
    for (const bad of ['B', '1a', 'node-a', 'a_b', 'abcdefghijklmnopq']) {
      expect(() => parsePeers(`nodes:\n  ${bad}: 192.0.2.21\n`, 'dialplan/peers.yaml'), bad).toThrow(
        new RegExp(`^dialplan/peers\\.yaml:nodes\\.${bad}: a node name`),
      );
    }
    for (const good of ['a', 'ast1', 'abcdefghijklmnop']) expect(NODE_NAME.test(good), good).toBe(true);
  });

  it('refuses a node address that is none, or a map that is no map, naming the path', () => {
    expect(() => parsePeers('nodes:\n  a: "not an address!"\n')).toThrow(
      /^peers\.yaml:nodes\.a: "not an address!" is not an IP address/,
    );
    expect(() => parsePeers('nodes:\n  a: { address: 192.0.2.21, port: 5060 }\n')).toThrow(
      /^peers\.yaml:nodes\.a: /,
    );
    expect(() => parsePeers('nodes: [192.0.2.21]\n')).toThrow(/^peers\.yaml:nodes: /);
    expect(() => parsePeers('nodes:\n  a: { address: 192.0.2.21, match: ["x y"] }\n')).toThrow(
      /^peers\.yaml:nodes\.a\.match\.0: an IP, CIDR or host name/,
    );
    expect(() => parsePeers('nodes: { a: 192.0.2.21 }\nsc-tax: "bad!"\n')).toThrow(PeersFileError);
  });
});

describe('the inter-node trunk', () => {
  it('is one endpoint node-<name> per node, in [from-nodes], with AOR contact and identify match', () => {
    const conf = merged(twoNodes);
    for (const [name, contact, match] of [
      ['a', 'sip:192.0.2.21', '192.0.2.21'],
      ['b', 'sip:192.0.2.22:5070', '192.0.2.22,192.0.2.23'],
    ] as const) {
      const endpoint = sectionsOfType(conf, 'endpoint').find((s) => s.name === nodeEndpoint(name));
      expect(endpoint, name).toBeDefined();
      expect(confValue(conf, endpoint!, 'context')).toBe(NODES_CONTEXT);
      expect(confValue(conf, endpoint!, 'aors')).toBe(`node-${name}`);
      const aor = sectionsOfType(conf, 'aor').find((s) => s.name === `node-${name}`)!;
      expect(confValue(conf, aor, 'contact')).toBe(contact);
      expect(Number(confValue(conf, aor, 'qualify_frequency'))).toBeGreaterThan(0);
      const identify = sectionsOfType(conf, 'identify').find((s) => s.name === `node-${name}`)!;
      expect(confValue(conf, identify, 'endpoint')).toBe(`node-${name}`);
      expect(confValue(conf, identify, 'match')).toBe(match);
    }
  });

  it('carries media as the other trunks do, and the caller id both ways', () => {
    const conf = merged(twoNodes);
    const node = sectionsOfType(conf, 'endpoint').find((s) => s.name === 'node-b')!;
    const trunk = sectionsOfType(conf, 'endpoint').find((s) => s.name === 'sc-tax')!;
    for (const key of ['allow', 'disallow', 'dtmf_mode', 'direct_media', 'rtp_symmetric', 'force_rport'])
      expect(confValue(conf, node, key), key).toBe(confValue(conf, trunk, key));
    expect(confValue(conf, node, 'send_connected_line')).toBe('no');
    expect(Number(confValue(conf, node, 'rtp_timeout'))).toBeGreaterThan(0);
    for (const key of ['trust_id_inbound', 'trust_id_outbound', 'send_pai'])
      expect(confValue(conf, node, key), key).toBe('yes');
  });

  it('is what the engine dials for an agent on another node', () => {
    expect(remoteAgentDial('agent1001', 'b')).toBe('PJSIP/agent1001@node-b');
    const text = generatePjsipTrunks(plan, 'test', parsePeers(twoNodes));
    expect(text).toContain('; node b — PJSIP/<agent>@node-b');
  });

  it('is absent without nodes: the committed file stays as it was', () => {
    const text = generatePjsipTrunks(plan, 'test', parsePeers('carrier: 192.0.2.1\n'));
    expect(text).not.toContain('hotline-node-endpoint');
  });

  it('warns about a node at a DNS name', () => {
    expect(peersNeedingDns(plan, parsePeers(`${twoNodes}`))).not.toContain('node-a');
    expect(peersNeedingDns(plan, parsePeers('nodes: { c: ast-c.example.org }\n'))).toContain('node-c');
  });

  it('is written by `hotline dialplan --peers`, which exits 1 on a bad node name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-nodes-'));
    try {
      const good = join(dir, 'peers.yaml');
      writeFileSync(good, twoNodes);
      const r = run(['--rules', join(root, 'routing-rules'), '--apps', 'x', '--peers', good, '--out', dir]);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, PJSIP_TRUNKS_FILE), 'utf8')).toContain(
        '[node-b](hotline-node-endpoint)\naors=node-b\n[node-b](hotline-node-aor)\ncontact=sip:192.0.2.22:5070',
      );
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'nodes:\n  Node1: 192.0.2.21\n');
      const e = run(['--rules', join(root, 'routing-rules'), '--apps', 'x', '--peers', bad]);
      expect(e.code).toBe(1);
      expect(e.err).toMatch(
        new RegExp(`^dialplan: ${bad.replace(/[.]/g, '\\.')}:nodes\\.Node1: a node name`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is shown, commented out, in the shipped peers.yaml', () => {
    expect(read('peers.yaml')).toMatch(/^# nodes:\n#\s+a: /m);
    expect(parsePeers(read('peers.yaml')).nodes).toBeUndefined();
  });
});

/**
 * Runs [from-nodes] for a request user as Asterisk would, with PJSIP_ENDPOINT(<name>,context)
 * read from pjsip.conf and the generated trunks: the Dial() it reaches, or the Hangup() cause.
 */
function fromNodes(
  exten: string,
  dialStatus?: string,
  peersYaml = twoNodes,
): { dial?: string; hangup?: string } {
  const conf = merged(peersYaml);
  const context = (name: string) => {
    const endpoint = sectionsOfType(conf, 'endpoint').find((s) => s.name === name);
    return endpoint ? (confValue(conf, endpoint, 'context') ?? '') : '';
  };
  const steps = dialplanSteps(parseConf(read('extensions.conf'))).filter((s) => s.context === NODES_CONTEXT);
  const mine = steps.filter((s) => s.exten === steps[0]!.exten);
  const pattern = new RegExp(
    `^${mine[0]!.exten
      .slice(1)
      .replace(/\[([^\]]+)\]/g, '[$1]')
      .replace('!', '.*')}$`,
  );
  if (!pattern.test(exten)) return { hangup: 'no extension' };
  const expand = (t: string) =>
    t
      .replace(/\$\{REGEX\("([^"]+)" \$\{EXTEN\}\)\}/g, (_, re: string) =>
        new RegExp(re).test(exten) ? '1' : '0',
      )
      .replace(/\$\{PJSIP_ENDPOINT\(\$\{EXTEN\},context\)\}/g, () => context(exten))
      .replace(/\$\{EXTEN\}/g, exten)
      .replace(/\$\{DIALSTATUS\}/g, dialStatus ?? '')
      .replace(/\$\{UNIQUEID\}/g, 'b-1.1')
      .replace(/\$\["([^"]*)" = "([^"]*)"\]/g, (_, l: string, r: string) => (l === r ? '1' : '0'))
      .replace(/\$\[(\d)\]/g, '$1');
  let pc = 0;
  let dial: string | undefined;
  for (let guard = 0; guard < 50; guard++) {
    const step = mine[pc++];
    if (!step) return { hangup: 'fell off' };
    const args = expand(step.args);
    if (step.app === 'Dial') {
      dial = args;
      if (dialStatus === undefined) return { dial };
      continue;
    }
    if (step.app === 'Hangup') return dial === undefined ? { hangup: args } : { dial, hangup: args };
    if (step.app === 'Goto') pc = mine.findIndex((s) => s.label === args);
    if (step.app === 'GotoIf') {
      const [cond, target] = args.split('?') as [string, string];
      if (cond === '1') pc = mine.findIndex((s) => s.label === target);
    }
    expect(['Goto', 'GotoIf', 'Log', 'NoOp'], step.app).toContain(step.app);
    expect(pc).toBeGreaterThanOrEqual(0);
  }
  throw new Error('[from-nodes] loops');
}

describe('[from-nodes] of extensions.conf', () => {
  it("dials the request user when it is one of this node's agents, ringing until the agent answers", () => {
    const r = fromNodes('agent1001');
    const [target, timeout, options] = r.dial!.split(',');
    expect(target).toBe('PJSIP/agent1001');
    // a guard above the longest ring the plan allows (ringSeconds <= 120); the engine cancels first
    expect(Number(timeout)).toBeGreaterThan(120);
    // no option that answers early or plays anything to the other node's leg
    expect(options ?? '').toBe('');
  });

  it('tells the other node why the agent did not answer: busy (17, SIP 486), else unavailable (20, SIP 480)', () => {
    expect(fromNodes('agent1001', 'BUSY').hangup).toBe('17');
    for (const status of ['CHANUNAVAIL', 'NOANSWER', 'CONGESTION'])
      expect(fromNodes('agent1001', status).hangup, status).toBe('20');
  });

  it('refuses with cause 1 anything that is not an agent of this node: numbers, trunks, the carrier, nodes, unknown names', () => {
    for (const user of [
      '12345',
      '110',
      'sc-tax',
      'emergency',
      'carrier',
      'node-a',
      'node-b',
      'agent9999',
      's',
    ]) {
      expect(fromNodes(user), user).toEqual({ hangup: '1' });
    }
    // characters that could smuggle a second dial target or dial options never reach Dial()
    for (const user of ['agent1001&PJSIP/12366@sc-tax', 'agent1001,,A(x)', 'agent1001)']) {
      expect(fromNodes(user).dial, user).toBeUndefined();
    }
  });

  it('never enters the plan, a trunk or Stasis, and ends the hangup extension at once', () => {
    const steps = dialplanSteps(parseConf(read('extensions.conf'))).filter(
      (s) => s.context === NODES_CONTEXT,
    );
    expect(steps.map((s) => s.app)).not.toContain('Stasis');
    // jumps stay inside the context (labels, never context,exten,priority)
    const targets = steps
      .filter((s) => s.app === 'Goto' || s.app === 'GotoIf')
      .map((s) => (s.app === 'Goto' ? s.args : s.args.slice(s.args.lastIndexOf('?') + 1)));
    for (const t of targets) expect(t).toMatch(/^[a-z]+$/);
    const section = parseConf(read('extensions.conf')).sections.find((s) => s.name === NODES_CONTEXT)!;
    expect(section.entries.filter(([k]) => k === 'include')).toEqual([]);
    // "h" matches the pattern too: its own one step ends it, keeping the cause (no Hangup(1) at hangup)
    expect(steps.filter((s) => s.exten === 'h').map((s) => `${s.app}(${s.args})`)).toEqual(['Hangup()']);
  });
});

describe("the node's name", () => {
  it('is a commented systemname line of [options] in asterisk.conf, the one line a renderer replaces', () => {
    const text = read('asterisk.conf');
    // the lab and docker-entrypoint.sh replace this line
    expect(text.match(/^[;\s]*systemname\s*=.*$/gm)).toEqual([';systemname = a']);
    const options = text.slice(text.indexOf('[options]'));
    expect(options).toContain('\n;systemname = a\n');
    // one node: no systemname, channel ids as before
    expect(parseConf(text).sections.flatMap((s) => s.entries.map(([k]) => k))).not.toContain('systemname');
  });
});
