import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AmiClient, AmiError } from '../../src/telephony/ami/ami-client.ts';
import {
  type CommandAmi,
  commandOutput,
  parseTaskprocessors,
  type Taskprocessor,
  TaskprocessorWatch,
  taskprocessorLoad,
} from '../../src/telephony/ami/taskprocessors.ts';

/**
 * `core show taskprocessors` on Asterisk 22.10.1 started with the project's dialplan/ (idle, just
 * booted), read over AMI (`Action: Command`) through AmiClient: the `Output:` lines joined.
 */
const ASTERISK_22_TABLE = `
Processor                                                               Processed   In Queue  Max Depth  Low water High water Low time(us) High time(us)
ast_msg_queue                                                                   0          0          0        450        500          0          0
CCSS_core                                                                       0          0          0        450        500          0          0
dns_system_resolver_tp                                                          0          0          0        450        500          0          0
pjsip/distributor-0000001f                                                      0          0          0        450        500          0          0
pjsip/distributor-00000020                                                      0          0          0        450        500          0          0
pjsip/distributor-00000021                                                      0          0          0        450        500          0          0
pjsip/distributor-00000022                                                      0          0          0        450        500          0          0
pjsip/distributor-00000023                                                      0          0          0        450        500          0          0
pjsip/distributor-00000024                                                      0          0          0        450        500          0          0
pjsip/distributor-00000025                                                      0          0          0        450        500          0          0
pjsip/distributor-00000026                                                      0          0          0        450        500          0          0
pjsip/distributor-00000027                                                      0          0          0        450        500          0          0
pjsip/distributor-00000028                                                      0          0          0        450        500          0          0
pjsip/distributor-00000029                                                      0          0          0        450        500          0          0
pjsip/distributor-0000002a                                                      0          0          0        450        500          0          0
pjsip/distributor-0000002b                                                      0          0          0        450        500          0          0
pjsip/distributor-0000002c                                                      0          0          0        450        500          0          0
pjsip/distributor-0000002d                                                      0          0          0        450        500          0          0
pjsip/distributor-0000002e                                                      0          0          0        450        500          0          0
pjsip/distributor-0000002f                                                      0          0          0        450        500          0          0
pjsip/distributor-00000030                                                      0          0          0        450        500          0          0
pjsip/distributor-00000031                                                      0          0          0        450        500          0          0
pjsip/distributor-00000032                                                      0          0          0        450        500          0          0
pjsip/distributor-00000033                                                      0          0          0        450        500          0          0
pjsip/distributor-00000034                                                      0          0          0        450        500          0          0
pjsip/distributor-00000035                                                      0          0          0        450        500          0          0
pjsip/distributor-00000036                                                      0          0          0        450        500          0          0
pjsip/distributor-00000037                                                      0          0          0        450        500          0          0
pjsip/distributor-00000038                                                      0          0          0        450        500          0          0
pjsip/distributor-00000039                                                      0          0          0        450        500          0          0
pjsip/distributor-0000003a                                                      0          0          0        450        500          0          0
pjsip/distributor-0000003b                                                      0          0          0        450        500          0          0
pjsip/distributor-0000003c                                                      0          0          0        450        500          0          0
pjsip/distributor-0000003d                                                      0          0          0        450        500          0          0
pjsip/options/agent1001-0000003e                                                0          0          0        450        500          0          0
pjsip/options/carrier-0000003f                                                 44          0          2        450        500          0      29727
pjsip/options/chongqing-00000040                                               44          0          2        450        500          0        435
pjsip/options/dept-agriculture-00000041                                        44          0          2        450        500          0       4525
pjsip/options/dept-culture-market-00000042                                     44          0          2        450        500          0       1903
pjsip/options/dept-disability-00000043                                         46          0          2        450        500          0       1964
pjsip/options/dept-environment-00000044                                        46          0          2        450        500          0       1312
pjsip/options/dept-housing-00000045                                            44          0          2        450        500          0        404
pjsip/options/dept-housing-fund-00000046                                       46          0          2        450        500          0       2769
pjsip/options/dept-hr-social-security-00000047                                 44          0          2        450        500          0       2249
pjsip/options/dept-legal-00000048                                              44          0          2        450        500          0       6184
pjsip/options/dept-market-regulation-00000049                                  44          0          2        450        500          0       2218
pjsip/options/dept-medical-insurance-0000004a                                  44          0          2        450        500          0       1193
pjsip/options/dept-poverty-relief-0000004b                                     44          0          2        450        500          0       1687
pjsip/options/dept-public-health-0000004c                                      44          0          2        450        500          0        620
pjsip/options/dept-transport-0000004d                                          44          0          2        450        500          0       2046
pjsip/options/dept-work-safety-0000004e                                        46          0          2        450        500          0       1085
pjsip/options/emergency-0000004f                                               44          0          2        450        500          0       2284
pjsip/options/manage                                                           24          0          1       4500       5000          0        666
pjsip/options/sc-customs-00000050                                              46          0          2        450        500          0       1795
pjsip/options/sc-immigration-00000051                                          44          0          2        450        500          0       4346
pjsip/options/sc-postal-00000052                                               46          0          2        450        500          0       3031
pjsip/options/sc-tax-00000053                                                  44          0          2        450        500          0       4213
pjsip/options/sc-tobacco-00000054                                              44          0          2        450        500          0       1016
pjsip/options/utilities-00000055                                               44          0          2        450        500          0       1455
pjsip/refer                                                                     0          0          0        450        500          0          0
sorcery/aor-0000001b                                                            1          0          1        450        500          0          2
sorcery/auth-00000016                                                           0          0          0        450        500          0          0
sorcery/bucket-00000006                                                         0          0          0        450        500          0          0
sorcery/contact-0000001a                                                        0          0          0       1350       1500          0          0
sorcery/domain_alias-0000001c                                                   0          0          0        450        500          0          0
sorcery/endpoint-00000017                                                       1          0          1        450        500          0          2
sorcery/file-00000007                                                           0          0          0        450        500          0          0
sorcery/general-0000005c                                                        0          0          0        450        500          0          0
sorcery/global-0000001d                                                         4          0          1        450        500          0        121
sorcery/identify-00000056                                                       0          0          0        450        500          0          0
sorcery/inbound-publication-00000059                                            0          0          0        450        500          0          0
sorcery/location-0000000e                                                       0          0          0        450        500          0          0
sorcery/log_mappings-00000010                                                   0          0          0        450        500          0          0
sorcery/nat_hook-00000018                                                       0          0          0        450        500          0          0
sorcery/outbound_websocket-0000005e                                             1          0          1        450        500          0          6
sorcery/profile-0000000f                                                        0          0          0        450        500          0          0
sorcery/resource_list-00000058                                                  0          0          0        450        500          0          0
sorcery/subscription_persistence-00000057                                       0          0          0        450        500          0          0
sorcery/system-00000011                                                         0          0          0        450        500          0          0
sorcery/transport-00000019                                                      0          0          0        450        500          0          0
sorcery/user-0000005d                                                           0          0          0        450        500          0          0
sorcery/websocket_client-0000005b                                               0          0          0        450        500          0          0
stasis/m:cache_pattern:0/endpoint:all-0000000d                                 24          0          1        450        500          0         27
stasis/m:cdr:aggregator-0000000b                                                2          0          1       4500       5000          0          2
stasis/m:channel:all-00000060                                                   1          0          1        450        500          0          1
stasis/m:devicestate:all-00000008                                              51          0         48        450        500          0          1
stasis/m:devicestate:all-00000009                                              51          0         48        450        500          0          2
stasis/m:devicestate:all-0000005f                                               1          0          1        450        500          0          2
stasis/m:manager:core-0000000c                                                 39          0          2       2700       3000          0        152
stasis/m:presence_state:all-0000000a                                            1          0          1        450        500          0          0
stasis/m:security:all-0000001e                                                  1          0          1        450        500          0          2
taskpool/s:pjsip-00000012                                                    1071          0          2        450        500          0      29814
taskpool/s:pjsip-00000013                                                       1          0          1        450        500          0          3
taskpool/s:pjsip-00000014                                                       1          0          1        450        500          0          4
taskpool/s:pjsip-00000015                                                       1          0          1        450        500          0          4
taskpool/s:sorcery-00000005                                                     8          0          1        450        500          0        123
taskpool/s:stasis-00000000                                                      4          0          2        450        500          0         67
taskpool/s:stasis-00000001                                                      1          0          1        450        500          0          0
taskpool/s:stasis-00000002                                                      1          0          1        450        500          0          1
taskpool/s:stasis-00000003                                                      1          0          1        450        500          0          0
taskpool/s:stasis-00000004                                                      1          0          1        450        500          0          0

101 taskprocessors
`;

/**
 * `core show taskprocessors like pjsip/distributor` on the same Asterisk under a flood of SIP
 * OPTIONS over UDP (300,000 in 7 s from one loopback address; its log said "Taskprocessor
 * 'pjsip/distributor-00000022' queue reached 500 scheduled tasks"), read over AMI the same way.
 */
const ASTERISK_22_DISTRIBUTORS_LOADED = `
Processor                                                               Processed   In Queue  Max Depth  Low water High water Low time(us) High time(us)
pjsip/distributor-0000001f                                                   6900        333        458        450        500          0      75784
pjsip/distributor-00000020                                                   7097        103        500        450        500          0     154734
pjsip/distributor-00000021                                                   6764        337        500        450        500          0      48471
pjsip/distributor-00000022                                                   7131         39        500        450        500          0     217440
pjsip/distributor-00000023                                                   6977        151        500        450        500          0     170869
pjsip/distributor-00000024                                                   7084         32        501        450        500          0      76517
pjsip/distributor-00000025                                                   7157         64        500        450        500          0     144882
pjsip/distributor-00000026                                                   7087         91        500        450        500          0      70837
pjsip/distributor-00000027                                                   7226        104        430        450        500          0      82624
pjsip/distributor-00000028                                                   7074        164        501        450        500          0     239664
pjsip/distributor-00000029                                                   7101         67        455        450        500          0     145020
pjsip/distributor-0000002a                                                   7130         68        500        450        500          0      56086
pjsip/distributor-0000002b                                                   6839        271        457        450        500          0      48290
pjsip/distributor-0000002c                                                   7177         25        500        450        500          0      60370
pjsip/distributor-0000002d                                                   6997        118        500        450        500          0      56624
pjsip/distributor-0000002e                                                   6790        234        486        450        500          0     145781
pjsip/distributor-0000002f                                                   7047        178        497        450        500          0      61195
pjsip/distributor-00000030                                                   7112         99        500        450        500          0     238520
pjsip/distributor-00000031                                                   7027        191        490        450        500          0      60345
pjsip/distributor-00000032                                                   6946        205        500        450        500          0     100001
pjsip/distributor-00000033                                                   7043        115        500        450        500          0     100524
pjsip/distributor-00000034                                                   7158         79        500        450        500          0     177208
pjsip/distributor-00000035                                                   6943        186        485        450        500          0      62268
pjsip/distributor-00000036                                                   7253         32        500        450        500          0      81048
pjsip/distributor-00000037                                                   6966         17        475        450        500          0      45618
pjsip/distributor-00000038                                                   7096        107        500        450        500          0      73780
pjsip/distributor-00000039                                                   7202         67        485        450        500          0      78056
pjsip/distributor-0000003a                                                   6938        101        500        450        500          0      72153
pjsip/distributor-0000003b                                                   6909        255        490        450        500          0     122838
pjsip/distributor-0000003c                                                   7227         58        500        450        500          0     252132
pjsip/distributor-0000003d                                                   7007        186        463        450        500          0      38744

31 taskprocessors
`;

const silent = createLogger({ level: 'silent' });

function capture(level = 'info') {
  const lines: { level: number; msg: string; err?: string }[] = [];
  const logger = createLogger({
    level,
    destination: { write: (l: string) => void lines.push(JSON.parse(l)) } as unknown as NodeJS.WritableStream,
  });
  return { logger, lines };
}

function row(name: string, inQueue: number, highWater = 500): Taskprocessor {
  return { name, processed: 10, inQueue, maxDepth: inQueue, lowWater: highWater * 0.9, highWater };
}

/** The table Asterisk prints, with the given rows (the CLI's own widths). */
function table(rows: Taskprocessor[]): string {
  const line = (r: Taskprocessor) =>
    r.name.padEnd(70) +
    [r.processed, r.inQueue, r.maxDepth, r.lowWater, r.highWater, 0, 0]
      .map((n) => ` ${String(n).padStart(10)}`)
      .join('');
  return [
    '',
    ASTERISK_22_TABLE.split('\n')[1],
    ...rows.map(line),
    '',
    `${rows.length} taskprocessors`,
    '',
  ].join('\n');
}

/** Lets promise callbacks run (no time passes). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** An AMI whose Command actions wait until the test answers them. */
class FakeAmi implements CommandAmi {
  connected = true;
  readonly sent: Record<string, unknown>[] = [];
  private readonly waiting: {
    resolve: (m: Record<string, unknown>) => void;
    reject: (e: unknown) => void;
  }[] = [];

  action(fields: Record<string, string | number | undefined>): Promise<Record<string, unknown>> {
    this.sent.push(fields);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  get pending(): number {
    return this.waiting.length;
  }

  async answer(text: string): Promise<void> {
    this.waiting
      .shift()!
      .resolve({ response: 'Success', message: 'Command output follows', output: text.split('\n') });
    await settle();
  }

  async fail(err: unknown): Promise<void> {
    this.waiting.shift()!.reject(err);
    await settle();
  }
}

describe('reading core show taskprocessors', () => {
  it('reads every row of the table Asterisk 22.10.1 returns over AMI, header and footer aside', () => {
    const { rows, skipped } = parseTaskprocessors(ASTERISK_22_TABLE);
    expect(skipped).toBe(0);
    expect(rows).toHaveLength(101);
    expect(rows[0]).toEqual({
      name: 'ast_msg_queue',
      processed: 0,
      inQueue: 0,
      maxDepth: 0,
      lowWater: 450,
      highWater: 500,
    });
    expect(rows.find((r) => r.name === 'pjsip/options/manage')).toEqual({
      name: 'pjsip/options/manage',
      processed: 24,
      inQueue: 0,
      maxDepth: 1,
      lowWater: 4500,
      highWater: 5000,
    });
    expect(rows.find((r) => r.name === 'stasis/m:devicestate:all-00000008')).toMatchObject({
      processed: 51,
      maxDepth: 48,
    });
    expect(rows.filter((r) => r.name.startsWith('pjsip/distributor-'))).toHaveLength(31);
  });

  it('takes the output lines as asterisk-manager hands them over, a list or a single string', () => {
    const lines = ASTERISK_22_TABLE.split('\n');
    expect(parseTaskprocessors(commandOutput({ response: 'Success', output: lines })).rows).toHaveLength(101);
    expect(commandOutput({ response: 'Success', output: 'No such command' })).toBe('No such command');
    expect(commandOutput({ response: 'Success' })).toBe('');
  });

  it('skips and counts the lines it cannot read, naming nothing from them', () => {
    const text = [
      ASTERISK_22_TABLE.split('\n').slice(0, 4).join('\n'),
      "No such command 'core show taskprocessor' (see 'core show help core show taskprocessor')",
      'stasis/m:broken                                      12          x          0        450        500          0          0',
      'stasis/m:negative                                    12         -3          0        450        500          0          0',
      '          0          0          0        450        500          0          0',
    ].join('\r\n');
    const { rows, skipped } = parseTaskprocessors(text);
    expect(rows.map((r) => r.name)).toEqual(['ast_msg_queue', 'CCSS_core']);
    expect(skipped).toBe(4);
  });

  it('reads a name longer than the 70-character column, which pushes the counters right', () => {
    const name = `stasis/m:${'x'.repeat(80)}-00000042`;
    const { rows } = parseTaskprocessors(`${name} 7 3 4 450 500 0 12`);
    expect(rows).toEqual([{ name, processed: 7, inQueue: 3, maxDepth: 4, lowWater: 450, highWater: 500 }]);
  });
});

describe('the taskprocessor load', () => {
  it('is the fullest queue against its own high-water mark, named', () => {
    const rows = [
      row('stasis/m:cdr:aggregator-0000000b', 2000, 5000),
      row('pjsip/distributor-0000001f', 300),
      row('taskpool/s:stasis-00000000', 120),
    ];
    expect(taskprocessorLoad(rows)).toEqual({ percent: 60, name: 'pjsip/distributor-0000001f' });
  });

  it('names the fullest distributor of a flooded Asterisk by its exact fill, not the rounded one', () => {
    const { rows, skipped } = parseTaskprocessors(ASTERISK_22_DISTRIBUTORS_LOADED);
    expect([rows.length, skipped]).toEqual([31, 0]);
    // 337 and 333 of 500 both round to 67 %: the fuller one is named.
    expect(taskprocessorLoad(rows)).toEqual({ percent: 67, name: 'pjsip/distributor-00000021' });
  });

  it('rounds to a whole percent and goes past 100 once a queue is over its mark', () => {
    expect(taskprocessorLoad([row('a', 1, 3)])).toEqual({ percent: 33, name: 'a' });
    expect(taskprocessorLoad([row('a', 2, 3)])).toEqual({ percent: 67, name: 'a' });
    expect(taskprocessorLoad([row('stasis/m:manager:core-0000000c', 3600, 3000)])).toEqual({
      percent: 120,
      name: 'stasis/m:manager:core-0000000c',
    });
  });

  it('is 0 with no name on an idle Asterisk, and ignores a queue without a mark', () => {
    expect(taskprocessorLoad(parseTaskprocessors(ASTERISK_22_TABLE).rows)).toEqual({ percent: 0 });
    expect(taskprocessorLoad([row('odd', 40, 0)])).toEqual({ percent: 0 });
    expect(taskprocessorLoad([])).toEqual({ percent: 0 });
  });
});

describe('the taskprocessor watch', () => {
  it('reads the table at once and then every period, only while AMI is connected', async () => {
    const clock = new ManualClock();
    const ami = new FakeAmi();
    const watch = new TaskprocessorWatch({ ami, clock, logger: silent, everyMs: 1000 });
    watch.start();
    expect(ami.sent).toEqual([{ action: 'Command', command: 'core show taskprocessors' }]);
    await ami.answer(ASTERISK_22_TABLE);
    expect(watch.polls).toBe(1);
    clock.advance(999);
    expect(ami.sent).toHaveLength(1);
    clock.advance(1);
    expect(ami.sent).toHaveLength(2);
    await ami.answer(ASTERISK_22_TABLE);
    ami.connected = false;
    clock.advance(3000);
    expect(ami.sent).toHaveLength(2);
    ami.connected = true;
    clock.advance(1000);
    expect(ami.sent).toHaveLength(3);
  });

  it('does not send a second command while the first is still unanswered', async () => {
    const clock = new ManualClock();
    const ami = new FakeAmi();
    const watch = new TaskprocessorWatch({ ami, clock, logger: silent, everyMs: 500 });
    watch.start();
    clock.advance(2000);
    expect(ami.sent).toHaveLength(1);
    await ami.answer(table([row('pjsip/distributor-0000001f', 100)]));
    clock.advance(500);
    expect(ami.sent).toHaveLength(2);
  });

  it('keeps the peak until it is read, then starts again from the latest table', async () => {
    const clock = new ManualClock();
    const ami = new FakeAmi();
    const watch = new TaskprocessorWatch({ ami, clock, logger: silent });
    expect(watch.read()).toEqual({ percent: 0 });
    watch.start();
    await ami.answer(
      table([row('pjsip/distributor-0000001f', 100), row('stasis/m:channel:all-00000060', 50)]),
    );
    clock.advance(1000);
    await ami.answer(
      table([row('pjsip/distributor-0000001f', 10), row('stasis/m:channel:all-00000060', 400)]),
    );
    clock.advance(1000);
    await ami.answer(table([row('pjsip/distributor-0000001f', 30)]));
    expect(watch.read()).toEqual({ percent: 80, name: 'stasis/m:channel:all-00000060' });
    // Nothing new read since: the latest table still stands.
    expect(watch.read()).toEqual({ percent: 6, name: 'pjsip/distributor-0000001f' });
    clock.advance(1000);
    await ami.answer(ASTERISK_22_TABLE);
    expect(watch.read()).toEqual({ percent: 6, name: 'pjsip/distributor-0000001f' });
    expect(watch.read()).toEqual({ percent: 0 });
  });

  it('forgets the load when AMI disconnects, and when stopped ignores a late answer', async () => {
    const clock = new ManualClock();
    const ami = new FakeAmi();
    const watch = new TaskprocessorWatch({ ami, clock, logger: silent });
    watch.start();
    await ami.answer(table([row('pjsip/distributor-0000001f', 250)]));
    ami.connected = false;
    clock.advance(1000);
    expect(watch.read()).toEqual({ percent: 50, name: 'pjsip/distributor-0000001f' });
    expect(watch.read()).toEqual({ percent: 0 });
    ami.connected = true;
    clock.advance(1000);
    watch.stop();
    await ami.answer(table([row('pjsip/distributor-0000001f', 450)]));
    expect(watch.read()).toEqual({ percent: 0 });
    expect(watch.polls).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('logs one warning naming the manager.conf fix and stops when Asterisk refuses the command', async () => {
    const clock = new ManualClock();
    const ami = new FakeAmi();
    const { logger, lines } = capture();
    const watch = new TaskprocessorWatch({ ami, clock, logger });
    watch.start();
    // What AmiClient makes of Asterisk 22's answer to a user without the command class.
    await ami.fail(new AmiError('Command', 'Permission denied', false));
    expect(watch.refused).toBe(true);
    expect(watch.polling).toBe(false);
    clock.advance(10_000);
    expect(ami.sent).toHaveLength(1);
    expect(clock.pending()).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(40);
    expect(lines[0]!.msg).toContain('manager.conf');
    expect(lines[0]!.msg).toContain('write = ...,command');
  });

  it('retries a failed read at the next tick, with one warning per run of failures', async () => {
    const clock = new ManualClock();
    const ami = new FakeAmi();
    const { logger, lines } = capture();
    const watch = new TaskprocessorWatch({ ami, clock, logger });
    watch.start();
    await ami.fail(new AmiError('Command', 'no answer within 10000 ms', true));
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await ami.answer("No such command 'core show taskprocessors'");
    }
    expect(ami.sent).toHaveLength(4);
    expect(watch.failures).toBe(4);
    expect(watch.polling).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual([
      'reading Asterisk taskprocessor queues failed; retrying every tick',
    ]);
    clock.advance(1000);
    await ami.answer(table([row('pjsip/distributor-0000001f', 500)]));
    expect(watch.read()).toEqual({ percent: 100, name: 'pjsip/distributor-0000001f' });
    clock.advance(1000);
    await ami.fail(new AmiError('Command', 'the AMI connection closed', true));
    expect(lines.map((l) => l.msg)).toEqual([
      'reading Asterisk taskprocessor queues failed; retrying every tick',
      'Asterisk taskprocessor queues readable again',
      'reading Asterisk taskprocessor queues failed; retrying every tick',
    ]);
  });
});

describe('the watch against the simulator’s AMI side', () => {
  let sim: AriSimulator | undefined;
  let ami: AmiClient | undefined;
  afterEach(async () => {
    await ami?.stop();
    await sim?.stop();
    sim = undefined;
    ami = undefined;
  });

  it('reads a table of taskprocessors through AmiClient as from Asterisk', async () => {
    sim = await startAriSimulator({ ami: true, logger: silent });
    ami = new AmiClient({
      host: '127.0.0.1',
      port: sim.ami!.port,
      user: sim.ami!.user,
      secret: sim.ami!.secret,
      clock: systemClock,
      logger: silent,
      actionTimeoutMs: 2000,
    });
    await ami.start();
    const response = await ami.action({ action: 'Command', command: 'core show taskprocessors' });
    const { rows, skipped } = parseTaskprocessors(commandOutput(response));
    expect(skipped).toBe(0);
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.every((r) => r.highWater > 0)).toBe(true);
    expect(rows.map((r) => r.name)).toContain('stasis/m:manager:core-0000000c');

    const clock = new ManualClock();
    const watch = new TaskprocessorWatch({ ami, clock, logger: silent });
    watch.start();
    for (let i = 0; i < 10_000 && watch.polls === 0; i++) await settle();
    expect(watch.polls).toBe(1);
    expect(watch.read().percent).toBeGreaterThanOrEqual(0);
    watch.stop();
  });
});
