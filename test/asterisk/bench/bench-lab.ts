import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Lab, waitFor } from '../lab/lab.ts';
import { type LoadSippRun, startLoadSipp } from './sipp-load.ts';

// What the bench adds to a lab (test/asterisk/lab/lab.ts) on top of the project's own
// configuration: the app_queue comparison (a queue of every agent and an extension that answers
// and queues, in the lab's rendered copy only, never in dialplan/), and every agent's softphone
// on one SIPp address that registers them all and then answers every call.

export const BENCH_QUEUE = 'hotline-bench';
/** The number the carrier dials for the app_queue path (matched before the plan's numbers). */
export const BENCH_QUEUE_NUMBER = '19000';

/** Adds `Answer(,i)` + `Queue()` of every agent (ringinuse=no) to the lab's copy and reloads. */
export async function addBenchQueue(lab: Lab, opts: { wrapUpSeconds: number }): Promise<void> {
  const etc = join(lab.dir, 'etc');
  const queues = join(etc, 'queues.conf');
  writeFileSync(
    queues,
    readFileSync(queues, 'utf8') +
      [
        '',
        `; bench only (scripts/bench-asterisk.ts): app_queue ringing the same agents as the engine`,
        `[${BENCH_QUEUE}]`,
        'strategy = rrmemory',
        'ringinuse = no',
        'timeout = 15',
        'retry = 1',
        `wrapuptime = ${opts.wrapUpSeconds}`,
        'joinempty = yes',
        'leavewhenempty = no',
        'announce-frequency = 0',
        'announce-position = no',
        'periodic-announce-frequency = 0',
        'autofill = yes',
        ...[...lab.agents.keys()].map((id) => `member => PJSIP/${id}`),
        '',
      ].join('\n'),
  );
  const extensions = join(etc, 'extensions.conf');
  const text = readFileSync(extensions, 'utf8');
  if (!text.includes('[from-carrier]\n')) throw new Error('the lab extensions.conf has no [from-carrier]');
  writeFileSync(
    extensions,
    text.replace('[from-carrier]\n', '[from-carrier]\ninclude => hotline-bench\n') +
      [
        '',
        '; bench only (scripts/bench-asterisk.ts): the app_queue path',
        '[hotline-bench]',
        `exten => ${BENCH_QUEUE_NUMBER},1,Answer(,i)`,
        ` same => n,Queue(${BENCH_QUEUE},,,,60)`,
        ' same => n,Hangup()',
        '',
      ].join('\n'),
  );
  await lab.rx('module reload app_queue.so');
  await lab.rx('dialplan reload');
  await waitFor(
    `the ${BENCH_QUEUE} queue with ${lab.agents.size} members`,
    async () => {
      const shown = await lab.rx(`queue show ${BENCH_QUEUE}`);
      return (shown.match(/PJSIP\//g) ?? []).length === lab.agents.size;
    },
    30_000,
    500,
  );
  const ext = await lab.rx(`dialplan show ${BENCH_QUEUE_NUMBER}@from-carrier`);
  if (!ext.includes('Queue('))
    throw new Error(`${BENCH_QUEUE_NUMBER}@from-carrier is not the bench queue:\n${ext}`);
}

/**
 * Registers every agent of the lab with a contact on ip:5060 (REGISTER sent from there, since
 * the agents' endpoints rewrite the contact to the source), then starts the SIPp that answers
 * every call there. Returns the running answerer.
 */
export async function agentsOn(
  lab: Lab,
  ip: string,
  opts: { expiresSeconds: number; timeoutSeconds: number; traceMessages: boolean; name: string },
): Promise<LoadSippRun> {
  // A node at its CPU budget (or still draining the last step's calls) answers some REGISTERs
  // late or with a 5xx: those agents register again, alone and slower, up to three rounds.
  let missing = [...lab.agents.values()];
  const failures: string[] = [];
  for (let round = 1; missing.length > 0 && round <= 3; round++) {
    const reg = startLoadSipp({
      scenario: 'bench-register.xml',
      name: `${opts.name}-register-${round}`,
      dir: lab.dir,
      localIp: ip,
      localPort: 5060,
      remote: `${lab.ip}:${lab.sipPort}`,
      vars: { EXPIRES: opts.expiresSeconds },
      inject: [
        'SEQUENTIAL',
        ...missing.map((a) => `${a.id};[authentication username=${a.id} password=${a.password}]`),
      ],
      rate: round === 1 ? 200 : 50,
      calls: missing.length,
      limit: round === 1 ? 100 : 20,
      timeoutSeconds: 120,
    });
    const { code } = await reg.exited;
    const ok = Number(reg.stats()?.['SuccessfulCall(C)'] ?? 0);
    if (code === 0 && ok === missing.length) {
      missing = [];
      break;
    }
    failures.push(`round ${round}: ${ok} of ${missing.length} done (exit ${code})\n${reg.output()}`);
    const registered = await contactAorsOn(lab, ip);
    missing = missing.filter((a) => !registered.has(a.id));
  }
  if (missing.length > 0) {
    throw new Error(
      `registering ${lab.agents.size} agents from ${ip}: ${missing.length} still unregistered after 3 rounds\n${failures.join('\n')}`,
    );
  }
  return startLoadSipp({
    scenario: 'bench-agents.xml',
    name: `${opts.name}-agents`,
    dir: lab.dir,
    localIp: ip,
    localPort: 5060,
    vars: { ACK_WITHIN_MS: 10_000, BYE_WITHIN_MS: 120_000 },
    autoAnswer: true,
    traceMessages: opts.traceMessages,
    timeoutSeconds: opts.timeoutSeconds,
  });
}

/** The AORs (agents) with a contact on `ip` in Asterisk, whatever its state. */
async function contactAorsOn(lab: Lab, ip: string): Promise<Set<string>> {
  const shown = await lab.rx('pjsip show contacts');
  const aors = new Set<string>();
  for (const line of shown.split('\n')) {
    const m = /^\s*Contact:\s+([^/\s]+)\/sip:[^@\s]*@([^:\s;]+):5060/.exec(line);
    if (m && m[2] === ip) aors.add(m[1]!);
  }
  return aors;
}

/** How many agents' contacts Asterisk has on `ip` and holds reachable (or not yet qualified). */
export async function contactsOn(lab: Lab, ip: string): Promise<number> {
  const shown = await lab.rx('pjsip show contacts');
  let n = 0;
  for (const line of shown.split('\n')) {
    if (!line.includes(`@${ip}:5060`)) continue;
    if (/\b(Avail|NonQual|Unknown|Created)\b/.test(line)) n++;
  }
  return n;
}

/** Logs every agent in and makes it ready; waits until the engine sees all ready and reachable. */
export async function readyAll(lab: Lab, concurrency = 20): Promise<void> {
  const ids = [...lab.agents.keys()];
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const login = await lab.api('POST', `/agents/${id}/login`, { endpoint: `PJSIP/${id}` });
      if (login.status !== 200) throw new Error(`login ${id}: ${login.status} ${JSON.stringify(login.body)}`);
      const ready = await lab.api('POST', `/agents/${id}/ready`);
      if (ready.status !== 200) throw new Error(`ready ${id}: ${ready.status} ${JSON.stringify(ready.body)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await waitAgentsReady(lab, ids.length, 90_000);
}

interface AgentView {
  id: string;
  state: string;
  deviceAvailable: boolean;
}

/** Agents the engine holds ready with a reachable softphone. */
export async function readyCount(lab: Lab): Promise<{ ready: number; states: Record<string, number> }> {
  const r = await lab.api('GET', '/agents');
  const agents = (r.body as { agents: AgentView[] }).agents ?? [];
  const states: Record<string, number> = {};
  let ready = 0;
  for (const a of agents) {
    const k = `${a.state}${a.deviceAvailable ? '' : '/unreachable'}`;
    states[k] = (states[k] ?? 0) + 1;
    if (a.state === 'ready' && a.deviceAvailable) ready++;
  }
  return { ready, states };
}

export async function waitAgentsReady(lab: Lab, n: number, ms: number): Promise<void> {
  let last: Record<string, number> = {};
  try {
    await waitFor(
      `${n} agents ready and reachable in the engine`,
      async () => {
        const { ready, states } = await readyCount(lab);
        last = states;
        return ready >= n;
      },
      ms,
      500,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; states: ${JSON.stringify(last)}`);
  }
}
