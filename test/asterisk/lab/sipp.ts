import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The scenario files of test/asterisk/sipp/ ({{NAME}} placeholders filled in per run). */
export const SIPP_DIR = join(import.meta.dirname, '../sipp');

export interface SipMessage {
  direction: 'sent' | 'received';
  /** `INVITE`, `BYE`, … for requests; `200`, `486`, … for responses. */
  method: string;
  /** The first line. */
  line: string;
  text: string;
}

export interface SippRun {
  name: string;
  pid: number;
  /** Resolves with SIPp's exit code (0: every call of the scenario passed) or the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The SIP messages SIPp sent and received so far, in order. */
  messages(): SipMessage[];
  /** Messages received whose method or status is `m`. */
  received(m: string): SipMessage[];
  /** SIPp's errors log and output, for failure messages. */
  diagnostics(): string;
  kill(signal?: NodeJS.Signals): void;
}

export interface SippOptions {
  /** Scenario file name under test/asterisk/sipp/. */
  scenario: string;
  /** Name of this run (files in the run dir are named after it). */
  name: string;
  dir: string;
  localIp: string;
  localPort: number;
  mediaPort: number;
  /** host:port for a client scenario; omitted for a server. */
  remote?: string;
  vars: Record<string, string | number>;
  auth?: { user: string; password: string };
  /** SIPp quits (and fails) after this many seconds. */
  timeoutSeconds: number;
}

const children = new Set<ChildProcess>();
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** Every SIPp still running (the lab kills them at the end, whatever happened). */
export function killAllSipp(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

export function startSipp(o: SippOptions): SippRun {
  let xml = readFileSync(join(SIPP_DIR, o.scenario), 'utf8');
  xml = xml.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = o.vars[k];
    if (v === undefined) throw new Error(`${o.scenario}: no value for {{${k}}}`);
    return String(v);
  });
  const scenarioPath = join(o.dir, `${o.name}.xml`);
  writeFileSync(scenarioPath, xml);
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
    '-mp',
    String(o.mediaPort),
    '-nostdin',
    '-aa',
    '-trace_msg',
    '-message_file',
    messageFile,
    '-trace_err',
    '-error_file',
    errorFile,
    '-timeout',
    `${o.timeoutSeconds}s`,
    '-timeout_error',
    '-max_recv_loops',
    '1000',
  ];
  if (o.auth) args.push('-au', o.auth.user, '-ap', o.auth.password);
  // A client places one call; a server (a softphone, a trunk peer) answers the qualify OPTIONS
  // as calls of their own and stops itself once its INVITE's call has gone as scripted.
  if (o.remote) args.push('-m', '1', o.remote);
  let output = '';
  const child = spawn('sipp', args, { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.stdout!.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  child.stderr!.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const messages = (): SipMessage[] =>
    existsSync(messageFile) ? parseMessages(readFileSync(messageFile, 'utf8')) : [];
  return {
    name: o.name,
    pid: child.pid ?? -1,
    exited,
    messages,
    received: (m) => messages().filter((x) => x.direction === 'received' && x.method === m),
    diagnostics: () => {
      const errors = existsSync(errorFile) ? readFileSync(errorFile, 'utf8').slice(-3000) : '';
      const flow = messages()
        .map((m) => `${m.direction === 'sent' ? '>>' : '<<'} ${m.line}`)
        .join('\n');
      return `sipp ${o.name} (${o.scenario}):\n${flow}\n${errors}\n${output.replace(ANSI, '').slice(-1500)}`;
    },
    kill: (signal = 'SIGKILL') => child.kill(signal),
  };
}

/** Reads SIPp's -trace_msg log: blocks headed "UDP message sent/received …". */
export function parseMessages(log: string): SipMessage[] {
  const out: SipMessage[] = [];
  const blocks = log.split(/^-{10,}.*$/m);
  for (const block of blocks) {
    const head = /(sent|received)[^\n]*\n/.exec(block);
    if (!head) continue;
    const text = block.slice(head.index + head[0].length).replace(/^\s*\n/, '');
    const line = (text.split('\n').find((l) => l.trim().length > 0) ?? '').trim();
    if (!line) continue;
    const status = /^SIP\/2\.0 (\d{3})/.exec(line);
    const method = status ? status[1]! : (line.split(' ')[0] ?? '');
    out.push({ direction: head[1] === 'sent' ? 'sent' : 'received', method, line, text });
  }
  return out;
}

/** A header's values in a SIP message (`P-Asserted-Identity`, `From`, …), case-insensitive. */
export function headerValues(m: SipMessage, name: string): string[] {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'gim');
  return [...m.text.matchAll(re)].map((x) => x[1]!.trim());
}
