import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Masks a phone number for logs and displays: keeps the first 3 and last 2 digits of long
 * numbers (138******00), fully masks short ones. Never log a caller's full number.
 */
export function maskNumber(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) return value === undefined ? '' : '***';
  const digits = value.replace(/[^0-9+]/g, '');
  if (digits.length <= 5) return '*'.repeat(Math.max(3, digits.length));
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 5)}${digits.slice(-2)}`;
}

/** Paths pino redacts wherever they occur in a log object. */
export const redactedPaths = [
  'caller',
  'callerNumber',
  '*.caller',
  '*.callerNumber',
  '*.caller.number',
  'caller.number',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'callerId.number',
  '*.callerId.number',
  'ticketNumber',
  '*.ticketNumber',
  'secrets',
  '*.secrets',
  'webhookSecret',
  '*.webhookSecret',
  'material',
  '*.material',
  'cookie',
  'headers.cookie',
  'req.headers.cookie',
  'redisUrl',
  '*.redisUrl',
  'REDIS_URL',
  '*.REDIS_URL',
  'ARI_PASSWORD',
  '*.ARI_PASSWORD',
  'RECORDS_KEY',
  '*.RECORDS_KEY',
  'RECORDS_PREVIOUS_KEYS',
  '*.RECORDS_PREVIOUS_KEYS',
  'RECORDS_WEBHOOK_SECRET',
  '*.RECORDS_WEBHOOK_SECRET',
  'TICKETING_TOKEN',
  '*.TICKETING_TOKEN',
];

/** Keys whose values are secrets (replaced whole); other redacted keys hold numbers (masked). */
const secretKeys = new Set([
  'password',
  'token',
  'authorization',
  'key',
  'secret',
  'apiKey',
  'secrets',
  'webhookSecret',
  'material',
  'cookie',
  'redisUrl',
  'REDIS_URL',
  'ARI_PASSWORD',
  'RECORDS_KEY',
  'RECORDS_PREVIOUS_KEYS',
  'RECORDS_WEBHOOK_SECRET',
  'TICKETING_TOKEN',
]);

function censor(value: unknown, path: string[]): unknown {
  const last = path[path.length - 1] ?? '';
  if (secretKeys.has(last)) return '[redacted]';
  if (value && typeof value === 'object') return '[redacted]';
  return maskNumber(value);
}

export interface LogOptions {
  level?: string;
  /**
   * Where to write; defaults to stdout. Tests pass a stream to scan what was logged. A terminal
   * (`isTTY`) gets the lines pretty-printed, anything else JSON lines (see `logFormat`).
   */
  destination?: pino.DestinationStream & { isTTY?: boolean };
}

/** How log lines are written: `pretty` for a person at a terminal, `json` lines for everything else. */
export type LogFormat = 'pretty' | 'json';

/**
 * The format for an output: pretty-printed when it is a terminal (a person runs `hotline serve`
 * at a prompt), JSON lines when it is not (CI, a file, a pipe, a log collector), as before.
 */
export function logFormat(out: { isTTY?: boolean }): LogFormat {
  return out.isTTY === true ? 'pretty' : 'json';
}

/**
 * The stream log lines are written to: `out` itself for JSON lines (stdout: pino's own
 * destination), or pino-pretty writing to `out`. Lines reach it already redacted (pino redacts
 * before it serialises), so masking is the same in both formats.
 */
export function logDestination(
  out: pino.DestinationStream & { isTTY?: boolean; fd?: unknown } = process.stdout,
): pino.DestinationStream {
  if (logFormat(out) === 'json') return out === process.stdout ? pino.destination(1) : out;
  return pretty({
    // A file descriptor (stdout, stderr) is written synchronously, so nothing is lost at exit.
    destination: typeof out.fd === 'number' ? out.fd : out,
    sync: true,
    colorize: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,svc',
    singleLine: true,
  });
}

let tap: pino.DestinationStream | undefined;

/**
 * With HOTLINE_LOG_TAP naming a directory, every logger of the process also writes every line,
 * at debug level whatever its own level, to `<dir>/<pid>.ndjson`. CI sets it for the whole test
 * suite and scans what was logged for caller numbers and secrets (scripts/scan-logs.ts).
 */
function logTap(): pino.DestinationStream | undefined {
  const dir = process.env.HOTLINE_LOG_TAP;
  if (!dir) return undefined;
  // Synchronous, so nothing is lost when a test worker or a killed child process exits.
  if (!tap) {
    mkdirSync(dir, { recursive: true });
    tap = pino.destination({ dest: join(dir, `${process.pid}.ndjson`), append: true, sync: true });
  }
  return tap;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const opts: pino.LoggerOptions = {
    level,
    base: { svc: 'hotline' },
    redact: { paths: redactedPaths, censor },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const tapped = logTap();
  if (tapped) {
    // The logger lets through what either stream wants: the tap takes debug, the destination
    // keeps its own level (trace included).
    const streams: pino.StreamEntry[] = [{ level: 'debug', stream: tapped }];
    if (level !== 'silent')
      streams.push({ level: level as pino.Level, stream: logDestination(options.destination) });
    return pino({ ...opts, level: level === 'trace' ? 'trace' : 'debug' }, pino.multistream(streams));
  }
  return pino(opts, logDestination(options.destination));
}

export type { Logger };
