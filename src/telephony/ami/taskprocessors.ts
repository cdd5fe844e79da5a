import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.ts';
import { AmiError } from './ami-client.ts';

/**
 * Asterisk's taskprocessor queues, read over AMI, so admission control sheds before Asterisk does.
 *
 * Every taskprocessor (stasis topics, `pjsip/distributor-*`, the taskpool serializers…) has a
 * high-water mark (500 by default). When any queue reaches its mark Asterisk raises a global
 * alert, held until that queue drains to its low-water mark, and while it is up res_pjsip's
 * distributor ignores new out-of-dialog requests on UDP and answers 503 on TCP/TLS
 * (`taskprocessor_overload_trigger = global`, the default). The fullest queue against its own
 * mark is therefore the load that matters.
 *
 * AMI has no action for these statistics: the CLI's `core show taskprocessors` is read with
 * `Action: Command`, which needs the `command` class in the AMI user's `write` permissions.
 */

/** One row of `core show taskprocessors`. */
export interface Taskprocessor {
  name: string;
  processed: number;
  inQueue: number;
  maxDepth: number;
  lowWater: number;
  highWater: number;
}

/** The rows read, and how many other lines could not be read as a row (header and footer aside). */
export interface TaskprocessorTable {
  rows: Taskprocessor[];
  skipped: number;
}

/** The fullest queue in percent of its high-water mark; `name` is absent while every queue is empty. */
export interface TaskprocessorLoad {
  percent: number;
  name?: string;
}

export const TASKPROCESSORS_COMMAND = 'core show taskprocessors';

const NO_LOAD: TaskprocessorLoad = { percent: 0 };
/** Counters after the name in each row of Asterisk 22's table. */
const COUNTERS = 7;

/**
 * Reads the CLI's table as Asterisk 22 prints it (main/taskprocessor.c: a blank line, a header,
 * then per processor a `%-70s` name and seven right-aligned counters — Processed, In Queue, Max
 * Depth, Low water, High water, Low time(us), High time(us) — then a blank line and
 * `N taskprocessors`). The name is whatever precedes the counters, so a name longer than 70
 * characters (which pushes the columns right) still reads. Any other line is skipped and counted.
 */
export function parseTaskprocessors(text: string): TaskprocessorTable {
  const rows: Taskprocessor[] = [];
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^\d+ taskprocessors?$/.test(line) || /^Processor\s+Processed\s/.test(line)) continue;
    const tokens = line.split(/\s+/);
    const numbers = tokens.slice(-COUNTERS);
    if (tokens.length <= COUNTERS || !numbers.every((t) => /^-?\d+$/.test(t))) {
      skipped++;
      continue;
    }
    const [processed, inQueue, maxDepth, lowWater, highWater] = numbers.map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    if ([processed, inQueue, maxDepth, lowWater, highWater].some((n) => n < 0)) {
      skipped++;
      continue;
    }
    rows.push({
      name: tokens.slice(0, -COUNTERS).join(' '),
      processed,
      inQueue,
      maxDepth,
      lowWater,
      highWater,
    });
  }
  return { rows, skipped };
}

/** The fullest queue as a percent of its high-water mark (rounded; over 100 past the mark). */
export function taskprocessorLoad(rows: readonly Taskprocessor[]): TaskprocessorLoad {
  let best: Taskprocessor | undefined;
  let bestRatio = 0;
  for (const row of rows) {
    if (row.highWater <= 0 || row.inQueue <= 0) continue;
    const ratio = row.inQueue / row.highWater;
    if (!best || ratio > bestRatio) {
      best = row;
      bestRatio = ratio;
    }
  }
  return best ? { percent: Math.round(bestRatio * 100), name: best.name } : NO_LOAD;
}

/** A command's output as asterisk-manager gives it: one `Output:` header per line (a string when one). */
export function commandOutput(response: Record<string, unknown>): string {
  const output = response.output;
  if (Array.isArray(output)) return output.map(String).join('\n');
  return typeof output === 'string' ? output : '';
}

/** The part of the AMI client the watch uses. */
export interface CommandAmi {
  readonly connected: boolean;
  action(fields: Record<string, string | number | undefined>): Promise<Record<string, unknown>>;
}

export interface TaskprocessorWatchOptions {
  ami: CommandAmi;
  clock: Clock;
  logger: Logger;
  /** Time between two reads of the table (default 1000 ms); a read still waiting is not doubled. */
  everyMs?: number;
}

/**
 * Polls `core show taskprocessors` while AMI is connected and keeps the highest load seen since
 * the last `read()`. A read that fails (timeout, odd output) is retried at the next tick, with one
 * warning per run of failures; Asterisk refusing the action (the AMI user lacks the `command`
 * class) logs one warning naming the fix and ends the polling.
 */
export class TaskprocessorWatch {
  private readonly everyMs: number;
  private timer?: TimerHandle;
  private running = false;
  private generation = 0;
  private inFlight = false;
  private failing = false;
  private peak: TaskprocessorLoad = NO_LOAD;
  /** The load of the latest table: it stands until the next one replaces it. */
  private last: TaskprocessorLoad = NO_LOAD;
  /** Asterisk refused the action: the AMI user needs the `command` class. */
  refused = false;
  /** Tables read, reads that failed, and lines of read tables that were not rows. */
  polls = 0;
  failures = 0;
  skippedLines = 0;

  constructor(private readonly o: TaskprocessorWatchOptions) {
    this.everyMs = o.everyMs ?? 1000;
    if (!(this.everyMs > 0)) throw new RangeError('everyMs must be positive');
  }

  get polling(): boolean {
    return this.running;
  }

  /** Starts polling at once, then every `everyMs`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.refused = false;
    this.generation++;
    this.tick();
  }

  /** Stops polling; a read still waiting is ignored when it arrives. */
  stop(): void {
    this.running = false;
    this.generation++;
    this.timer?.cancel();
    this.timer = undefined;
    this.inFlight = false;
    this.last = NO_LOAD;
    this.peak = NO_LOAD;
  }

  /**
   * The highest load seen since the previous call; the peak then starts again from the latest
   * table's load (a queue still full stays visible between two reads of the table). 0 with no
   * name when nothing is known: not polling, AMI disconnected, or every queue empty.
   */
  read(): TaskprocessorLoad {
    const peak = this.peak;
    this.peak = this.last;
    return peak;
  }

  private tick(): void {
    if (!this.running) return;
    this.timer = this.o.clock.after(this.everyMs, () => this.tick());
    if (this.inFlight) return;
    if (!this.o.ami.connected) {
      this.last = NO_LOAD;
      return;
    }
    this.inFlight = true;
    const generation = this.generation;
    this.o.ami.action({ action: 'Command', command: TASKPROCESSORS_COMMAND }).then(
      (response) => {
        if (generation !== this.generation) return;
        this.inFlight = false;
        this.onTable(commandOutput(response));
      },
      (err: unknown) => {
        if (generation !== this.generation) return;
        this.inFlight = false;
        this.onFailure(err);
      },
    );
  }

  private onTable(text: string): void {
    const { rows, skipped } = parseTaskprocessors(text);
    if (rows.length === 0) {
      this.onFailure(new Error('no taskprocessor rows in the command output'));
      return;
    }
    this.polls++;
    this.skippedLines += skipped;
    if (this.failing) {
      this.failing = false;
      this.o.logger.info('Asterisk taskprocessor queues readable again');
    }
    const load = taskprocessorLoad(rows);
    this.last = load;
    if (load.percent > this.peak.percent || (this.peak.name === undefined && load.name !== undefined)) {
      this.peak = load;
    }
  }

  private onFailure(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof AmiError && !err.transport && /permission denied/i.test(message)) {
      this.o.logger.warn(
        { err: message.slice(0, 200) },
        "Asterisk refused 'core show taskprocessors' over AMI: add the command class to the AMI user's " +
          'write permissions in manager.conf (write = ...,command); admission control runs without ' +
          "Asterisk's queue depths until then",
      );
      this.stop();
      this.refused = true;
      return;
    }
    this.failures++;
    if (this.failing) return;
    this.failing = true;
    this.o.logger.warn(
      { err: message.slice(0, 200) },
      'reading Asterisk taskprocessor queues failed; retrying every tick',
    );
  }
}
