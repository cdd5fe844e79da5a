import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { AmiClient } from '../../src/telephony/ami/ami-client.ts';
import {
  parseTaskprocessors,
  TaskprocessorWatch,
  taskprocessorLoad,
} from '../../src/telephony/ami/taskprocessors.ts';
import { type Lab, startLab, waitFor } from './lab/lab.ts';

// Issue 18: admission control reads Asterisk's taskprocessor queues (`core show taskprocessors`
// over AMI's Command action). On the lab's Asterisk 22 with the project's dialplan/, the table
// parses whole; the watch is refused once while the AMI user lacks the `command` write class
// (docker-entrypoint.sh and the lab write none today) and reads the table once it is added.
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ agents: [] });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

afterAll(async () => {
  await lab?.stop();
});

/** The lab's AMI account and port, from the files it rendered (as the entrypoint writes them). */
function amiAccount(): { port: number; user: string; secret: string; write: string[] } {
  const users = readFileSync(join(lab.dir, 'secrets/manager-users.conf'), 'utf8');
  const manager = readFileSync(join(lab.dir, 'etc/manager.conf'), 'utf8');
  return {
    port: Number(/^port = (\d+)$/m.exec(manager)![1]),
    user: /^\[([^\]]+)\]$/m.exec(users)![1]!,
    secret: /^secret = (.+)$/m.exec(users)![1]!,
    write: /^write = (.+)$/m
      .exec(users)![1]!
      .split(',')
      .map((c) => c.trim()),
  };
}

describe('Asterisk taskprocessor queues', () => {
  it('parses the CLI table of the running Asterisk whole, PJSIP distributors and stasis included', async () => {
    const { rows, skipped } = parseTaskprocessors(await lab.rx('core show taskprocessors'));
    expect(skipped).toBe(0);
    expect(rows.filter((r) => r.name.startsWith('pjsip/distributor-')).length).toBeGreaterThan(0);
    expect(rows.some((r) => r.name.startsWith('stasis/'))).toBe(true);
    expect(rows.every((r) => r.highWater > 0 && r.lowWater <= r.highWater)).toBe(true);
    const load = taskprocessorLoad(rows);
    expect(load.percent).toBeGreaterThanOrEqual(0);
    expect(load.percent).toBeLessThan(100);
  });

  it('is refused once, and stops, while the AMI user lacks the command class (as shipped today)', async () => {
    await writeClasses((classes) => classes.filter((c) => c !== 'command'));
    const { watch, lines } = await watchOverAmi();
    await waitFor('the refusal', () => watch.refused, 10_000, 20);
    expect(watch.polling).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining('write = ...,command')]);
  });

  it('reads the table over AMI once the command class is added to the AMI user (manager reload)', async () => {
    await writeClasses((classes) => [...classes, 'command']);
    const { watch, lines } = await watchOverAmi();
    await waitFor('two tables read over AMI', () => watch.polls >= 2, 10_000, 20);
    expect(watch.refused).toBe(false);
    expect(watch.skippedLines).toBe(0);
    expect(watch.read().percent).toBeLessThan(100);
    expect(lines).toEqual([]);
  });
});

/** Rewrites the AMI user's write classes in the lab's credentials and reloads the manager. */
async function writeClasses(change: (classes: string[]) => string[]): Promise<void> {
  const file = join(lab.dir, 'secrets/manager-users.conf');
  const classes = change(amiAccount().write);
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^write = .+$/m, `write = ${classes.join(',')}`));
  await lab.rx('manager reload');
  expect(amiAccount().write).toEqual(classes);
}

/** A watch polling every 200 ms over a new AMI connection with the lab's account; stopped after the test. */
async function watchOverAmi() {
  const account = amiAccount();
  const lines: { level: number; msg: string }[] = [];
  const logger = createLogger({
    level: 'warn',
    destination: { write: (l: string) => void lines.push(JSON.parse(l)) } as unknown as NodeJS.WritableStream,
  });
  const ami = new AmiClient({
    host: lab.ip,
    port: account.port,
    user: account.user,
    secret: account.secret,
    clock: systemClock,
    logger,
  });
  await ami.start();
  expect(ami.connected).toBe(true);
  const watch = new TaskprocessorWatch({ ami, clock: systemClock, logger, everyMs: 200 });
  cleanups.push(async () => {
    watch.stop();
    await ami.stop();
  });
  watch.start();
  return { watch, lines };
}
