import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIPP_DIR } from '../lab/sipp.ts';

// SIPp runs of many calls for the bench (scripts/bench-asterisk.ts). The lab's startSipp runs
// one call (-m 1); here a run places calls at a rate from an injection file, or serves every
// call reaching its address, and reports SIPp's own figures: the statistics file (-trace_stat,
// dumped every second and at exit), the per-message counts (-trace_counts: sent, received,
// retransmitted, timed out, unexpected, per scenario step) and, optionally, every message with
// SIPp's timestamp (-trace_msg).

export interface LoadSippOptions {
  /** Scenario file under test/asterisk/sipp/ ({{NAME}} filled in from vars). */
  scenario: string;
  /** Names this run's files in dir. */
  name: string;
  dir: string;
  localIp: string;
  localPort: number;
  /** host:port to call (a client); omitted for a server. */
  remote?: string;
  vars?: Record<string, string | number>;
  /** Injection file lines (the first line is SEQUENTIAL / RANDOM / USER): [field0]… per call. */
  inject?: string[];
  /** New calls per second (client). */
  rate?: number;
  /** Calls to place in all, then exit (client). */
  calls?: number;
  /** Most calls at once. */
  limit?: number;
  /** Keep every message with its timestamp (-trace_msg). */
  traceMessages?: boolean;
  /** Answer OPTIONS, INFO, NOTIFY, UPDATE outside the scenario (-aa). */
  autoAnswer?: boolean;
  /** SIPp exits after this many seconds whatever happens (-timeout). */
  timeoutSeconds: number;
  auth?: { user: string; password: string };
}

export interface LoadSippRun {
  name: string;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Last line of the statistics file, by column (`OutgoingCall(C)`, `Retransmissions(C)`, …). */
  stats(): Record<string, string> | undefined;
  /** Last line of the counts file, by column (`3_ACK_Recv`, `0_INVITE_Retrans`, …), cumulative. */
  counts(): Record<string, number> | undefined;
  /** The -trace_msg log (empty without traceMessages). */
  messageLog(): string;
  output(): string;
  /** Ends the run: SIGUSR1 (SIPp stops placing calls and quits), SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

const runs = new Set<ChildProcess>();

/** Kills every bench SIPp still running, by its own pid. */
export function killAllLoadSipp(): void {
  for (const c of runs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  runs.clear();
}

export function startLoadSipp(o: LoadSippOptions): LoadSippRun {
  const vars = o.vars ?? {};
  const xml = readFileSync(join(SIPP_DIR, o.scenario), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`${o.scenario}: no value for {{${k}}}`);
    return String(v);
  });
  const scenarioPath = join(o.dir, `${o.name}.xml`);
  writeFileSync(scenarioPath, xml);
  const statFile = join(o.dir, `${o.name}.stat.csv`);
  const messageFile = join(o.dir, `${o.name}.messages.log`);
  const errorFile = join(o.dir, `${o.name}.errors.log`);
  const args = [
    '-sf',
    scenarioPath,
    '-i',
    o.localIp,
    '-p',
    String(o.localPort),
    '-mi',
    o.localIp,
    '-nostdin',
    '-trace_stat',
    '-stf',
    statFile,
    '-fd',
    '1',
    '-trace_counts',
    '-trace_err',
    '-error_file',
    errorFile,
    '-timeout',
    `${o.timeoutSeconds}s`,
    '-max_recv_loops',
    '10000',
    '-max_sched_loops',
    '10000',
  ];
  if (o.traceMessages) args.push('-trace_msg', '-message_file', messageFile);
  if (o.autoAnswer) args.push('-aa');
  if (o.inject) {
    const injectPath = join(o.dir, `${o.name}.inject.csv`);
    writeFileSync(injectPath, `${o.inject.join('\n')}\n`);
    args.push('-inf', injectPath);
  }
  if (o.rate !== undefined) args.push('-r', String(o.rate), '-rp', '1000');
  if (o.calls !== undefined) args.push('-m', String(o.calls));
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  if (o.auth) args.push('-au', o.auth.user, '-ap', o.auth.password);
  if (o.remote) args.push(o.remote);

  let output = '';
  const child = spawn('sipp', args, { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  runs.add(child);
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      runs.delete(child);
      resolve({ code, signal });
    });
  });
  const pid = child.pid ?? -1;
  const countsFile = join(o.dir, `${o.name}_${pid}_counts.csv`);
  return {
    name: o.name,
    pid,
    exited,
    stats: () => lastRow(statFile),
    counts: () => {
      const row = lastRow(countsFile);
      if (!row) return undefined;
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(row)) if (/^\d+_/.test(k)) out[k] = Number(v) || 0;
      return out;
    },
    messageLog: () => (existsSync(messageFile) ? readFileSync(messageFile, 'utf8') : ''),
    output: () => {
      const errors = existsSync(errorFile) ? readFileSync(errorFile, 'utf8').slice(-1500) : '';
      return `${o.name}: ${output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g'), '').slice(-1500)}\n${errors}`;
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGUSR1');
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The last complete line of a SIPp CSV file (`;`-separated, header first), by column. */
function lastRow(path: string): Record<string, string> | undefined {
  if (!existsSync(path)) return undefined;
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  if (lines.length < 2) return undefined;
  const head = lines[0]!.split(';');
  const cells = lines[lines.length - 1]!.split(';');
  const out: Record<string, string> = {};
  head.forEach((h, i) => {
    if (h) out[h] = cells[i] ?? '';
  });
  return out;
}

/** Sum of the counts whose column ends with `_<kind>` (Retrans, Timeout, Unexp, …). */
export function sumCounts(counts: Record<string, number> | undefined, kind: string): number {
  if (!counts) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(counts)) if (k.endsWith(`_${kind}`)) n += v;
  return n;
}

/** The count of one scenario step by its message and kind, e.g. (`ACK`, `Recv`): the first step. */
export function stepCount(counts: Record<string, number> | undefined, message: string, kind: string): number {
  if (!counts) return 0;
  const key = Object.keys(counts).find((k) => new RegExp(`^\\d+_${message}_${kind}$`).test(k));
  return key ? (counts[key] ?? 0) : 0;
}

export interface TimedMessage {
  /** Milliseconds (SIPp's wall clock, microsecond resolution; both sides on one host). */
  at: number;
  direction: 'sent' | 'received';
  /** Request method or response status. */
  method: string;
  text: string;
}

/** Reads a -trace_msg log: each block starts with a dashed line ending in SIPp's timestamp. */
export function parseTimedMessages(log: string): TimedMessage[] {
  const out: TimedMessage[] = [];
  const re = /^-{10,} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{1,6})\s*$/gm;
  const heads = [...log.matchAll(re)];
  heads.forEach((h, i) => {
    const start = h.index + h[0].length;
    const end = i + 1 < heads.length ? heads[i + 1]!.index : log.length;
    const block = log.slice(start, end);
    const dir = /^\s*\S+ message (sent|received)[^\n]*\n/.exec(block);
    if (!dir) return;
    const text = block.slice(dir.index + dir[0].length).replace(/^\s*\n/, '');
    const line = (text.split('\n').find((l) => l.trim()) ?? '').trim();
    if (!line) return;
    const status = /^SIP\/2\.0 (\d{3})/.exec(line);
    const micros = Number(h[3]!.padEnd(6, '0'));
    out.push({
      at: Date.parse(`${h[1]}T${h[2]}Z`) + micros / 1000,
      direction: dir[1] === 'sent' ? 'sent' : 'received',
      method: status ? status[1]! : (line.split(' ')[0] ?? ''),
      text,
    });
  });
  return out;
}

/** The user part of a message's From header. */
export function fromUser(m: TimedMessage): string | undefined {
  const from = /^(?:From|f)\s*:(.*)$/im.exec(m.text)?.[1];
  return from ? /sips?:([^@;>]+)@/.exec(from)?.[1] : undefined;
}

/** The user part of a request's URI. */
export function requestUser(m: TimedMessage): string | undefined {
  return /^\S+ sips?:([^@;>\s]+)@/.exec(m.text.trim())?.[1];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
