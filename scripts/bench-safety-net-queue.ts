/**
 * What one change of the safety-net queue costs Asterisk: CPU per QueueAdd and per QueuePause
 * (the engine sends one pause and one unpause per call to every node's queue), as the queue's
 * members grow, with `persistentmembers` on (app_queue then writes the whole member list to
 * Asterisk's database at every change) and off (as shipped). On a real Asterisk 22.10.1 with the
 * project's own dialplan/ (the cluster lab, one node, no engine: the AMI actions are this
 * script's own; the setting is changed in the lab's copy of queues.conf).
 *
 *   npm run bench:safety-net-queue [-- --members 500,1000] [--pauses N]
 *
 * One JSON line per case: {"members", "persistentmembers", "addCpuMsEach", "pauseCpuMsEach",
 * "pausesPerSecond"} (CPU of the Asterisk process from /proc, the pauses sent one after another).
 * A minute or two; figures taken while the machine does other work are not comparable.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../src/clock.ts';
import { createLogger } from '../src/log.ts';
import { AmiClient } from '../src/telephony/ami/ami-client.ts';
import { SAFETY_NET_QUEUE } from '../src/telephony/ami/safety-net-queue.ts';
import { cpuMs } from '../test/asterisk/bench/proc.ts';
import { startCluster } from '../test/asterisk/lab/cluster.ts';

const USAGE = 'usage: npm run bench:safety-net-queue [-- --members 500,1000] [--pauses N]';
const args = process.argv.slice(2);
let sizes = [500, 1000];
let pauses = 1000;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const v = args[i + 1];
  if (a === '--members' && v && /^\d+(,\d+)*$/.test(v)) sizes = v.split(',').map(Number);
  else if (a === '--pauses' && v && /^\d+$/.test(v)) pauses = Number(v);
  else {
    console.error(`bench-safety-net-queue: unknown or malformed argument ${a}\n${USAGE}`);
    process.exit(2);
  }
  i++;
}

const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
const round = (x: number) => Math.round(x * 1000) / 1000;

async function measure(members: number, persistent: boolean): Promise<void> {
  const cluster = await startCluster({
    nodes: ['a'],
    engines: 0,
    edge: false,
    agents: [{ id: 'agent3001', node: 'a' }],
  });
  try {
    const node = cluster.nodes.get('a')!;
    const path = join(node.dir, 'etc/queues.conf');
    const shipped = readFileSync(path, 'utf8');
    const setting = /^persistentmembers = (yes|no)$/m;
    if (!setting.test(shipped)) throw new Error(`${path}: no "persistentmembers = yes|no" line`);
    const wanted = `persistentmembers = ${persistent ? 'yes' : 'no'}`;
    if (!shipped.includes(`\n${wanted}\n`)) {
      writeFileSync(path, shipped.replace(setting, wanted));
      await node.rx('module reload app_queue.so');
    }
    const ami = new AmiClient({
      host: node.ip,
      port: node.amiPort,
      user: cluster.credentials.amiUser,
      secret: cluster.credentials.amiSecret,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
    });
    await ami.start(); // resolves after the first attempt, logged in or not
    if (!ami.connected) throw new Error(`AMI on ${node.ip}:${node.amiPort}: no connection or login refused`);
    const queue = SAFETY_NET_QUEUE;
    const member = (i: number) => `PJSIP/bench${i}`;
    let cpu0 = cpuMs(node.pid);
    for (let i = 0; i < members; i++)
      await ami.action({
        action: 'QueueAdd',
        queue,
        interface: member(i),
        membername: `m${i}`,
        paused: 'true',
        reason: 'busy',
      });
    const addCpuMsEach = (cpuMs(node.pid) - cpu0) / members;
    cpu0 = cpuMs(node.pid);
    const t0 = performance.now();
    for (let i = 0; i < pauses; i++)
      await ami.action({
        action: 'QueuePause',
        queue,
        interface: member(i % members),
        paused: i % 2 === 0 ? 'false' : 'true',
        ...(i % 2 === 0 ? {} : { reason: 'busy' }),
      });
    const seconds = (performance.now() - t0) / 1000;
    emit({
      members,
      persistentmembers: persistent,
      addCpuMsEach: round(addCpuMsEach),
      pauseCpuMsEach: round((cpuMs(node.pid) - cpu0) / pauses),
      pausesPerSecond: Math.round(pauses / seconds),
    });
    await ami.stop();
  } finally {
    await cluster.stop();
  }
}

for (const persistent of [true, false]) for (const members of sizes) await measure(members, persistent);
