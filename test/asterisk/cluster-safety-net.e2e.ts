import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passed, promptMs } from './lab/checks.ts';
import { type Cluster, startCluster } from './lab/cluster.ts';
import { ASTERISK_PREFIX, waitFor } from './lab/node.ts';
import { killAllSipp } from './lab/sipp.ts';

// The dialplan's safety net over two Asterisk 22.10.1 nodes (systemname a and b, the project's
// own dialplan/ with the generated inter-node trunks), one engine (`hotline serve`, ARI_NODES and
// AMI_NODES to both), Redis and SIPp, without the edge: the carrier calls node a directly. The
// only agent's softphone is registered on node b. With the engine stopped, node a's safety-net
// queue must still reach it, through the trunk node-b (test/asterisk/lab/cluster.ts).

const runnable = existsSync(join(ASTERISK_PREFIX, 'sbin/asterisk'));

let cluster: Cluster;

describe.skipIf(!runnable)('the safety net of a node whose agents are registered on another node', () => {
  beforeAll(async () => {
    cluster = await startCluster({
      nodes: ['a', 'b'],
      engines: 1,
      edge: false,
      agents: [{ id: 'agent7001', node: 'b' }],
    });
  });

  afterAll(async () => {
    killAllSipp();
    await cluster?.stop();
  });

  const queueShow = (node: string) => cluster.nodes.get(node)!.rx('queue show hotline-safety-net');
  const memberLine = async (node: string) =>
    (await queueShow(node)).split('\n').find((l) => l.includes('agent7001 ('));

  it('rings, from node a’s queue, the agent registered on node b through the inter-node trunk', async () => {
    const agent = await cluster.agent('agent7001', { kind: 'answers' });
    await cluster.ready('agent7001');
    // node b: the phone itself; node a: the trunk toward b, with the trunk's state, rung in use
    await waitFor('agent7001 in node a’s safety-net queue through the trunk, not paused', async () => {
      const line = await memberLine('a');
      return (
        line?.includes('(PJSIP/agent7001@node-b from PJSIP/node-b)') &&
        line.includes('ringinuse enabled') &&
        !line.includes('paused')
      );
    });
    await waitFor('agent7001 in node b’s safety-net queue at its own endpoint', async () => {
      const line = await memberLine('b');
      return line?.includes('(PJSIP/agent7001)') && !line.includes('paused');
    });
    // the trunk's state: node b answers its OPTIONS, so the member is not unavailable
    expect(await memberLine('a')).toMatch(/Not in use/);

    await cluster.killEngine(0, 'SIGTERM');
    // the members stay as the engine left them
    expect(await memberLine('a')).toContain('PJSIP/agent7001@node-b');

    // the Stasis rounds (~6 s), then answered: the greeting, the ringing through the trunk, talk
    const caller = cluster.call({
      dialed: '12345',
      caller: '13800137001',
      to: 'a',
      talkMs: promptMs('welcome-12345') + 8000,
    });
    const a = cluster.nodes.get('a')!;
    await waitFor(
      'on node a, the carrier’s call bridged with a leg through the trunk node-b',
      async () => {
        const out = await a.rx('core show channels concise');
        const lines = out.split('\n');
        const carrier = lines.find((l) => l.startsWith('PJSIP/carrier-') && l.includes('Queue!'));
        const trunk = lines.find((l) => l.startsWith('PJSIP/node-b-') && l.includes('!Up!'));
        return carrier && trunk;
      },
      60_000,
      250,
    );
    await passed(caller, 120_000);
    await passed(agent, 60_000);

    const note = await waitFor('node a’s safety-net note', () => {
      const name = readdirSync(a.spool).find(
        (f) => f.endsWith('.txt') && readFileSync(join(a.spool, f), 'utf8').includes('caller=13800137001 '),
      );
      return name && readFileSync(join(a.spool, name), 'utf8');
    });
    expect(note).toMatch(
      /^outcome=served caller=13800137001 dialed=12345 started=\S+ uniqueid=a-\S+ agent=PJSIP\/agent7001@node-b /,
    );
    expect(note).toMatch(/ member=agent7001 /);
  }, 200_000);
});
