import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AmiClient } from '../../src/telephony/ami/ami-client.ts';
import { AmiPresence } from '../../src/telephony/ami/ami-presence.ts';
import type { PresenceChange } from '../../src/telephony/port.ts';

let sim: AriSimulator | undefined;
let ami: AmiClient | undefined;
let fake: Server | undefined;
afterEach(async () => {
  await ami?.stop();
  await sim?.stop();
  await new Promise<void>((r) => (fake ? fake.close(() => r()) : r()));
  sim = undefined;
  ami = undefined;
  fake = undefined;
});

const silent = createLogger({ level: 'silent' });

async function until(what: string, predicate: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function client(port: number, secret = 'hotline', logger = silent): AmiClient {
  ami = new AmiClient({
    host: '127.0.0.1',
    port,
    user: 'hotline',
    secret,
    clock: systemClock,
    logger,
    backoff: { initialMs: 20, maxMs: 100 },
    actionTimeoutMs: 2000,
  });
  return ami;
}

describe('the AMI adapter against the simulator’s AMI side', () => {
  it('logs in, answers actions as promises and lists endpoints and contacts', async () => {
    sim = await startAriSimulator({ ami: true, logger: silent });
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', online: true });
    sim.setEndpoint('PJSIP/agent1002', { behaviour: 'answer', online: false });
    const c = client(sim.ami!.port);
    await c.start();
    expect(c.connected).toBe(true);
    await expect(c.action({ action: 'Ping' })).resolves.toMatchObject({ response: 'Success', ping: 'Pong' });
    const endpoints = await c.list({ action: 'PJSIPShowEndpoints' }, 'EndpointListComplete');
    expect(endpoints.map((e) => [e.objectname, e.devicestate])).toEqual([
      ['agent1001', 'Not in use'],
      ['agent1002', 'Unavailable'],
    ]);
    await expect(c.action({ action: 'NoSuchThing' })).rejects.toMatchObject({
      code: 'ami-error',
      transport: false,
      message: 'NoSuchThing: Invalid/unknown command',
    });
  });

  it('reports every endpoint at connection, then one change per ContactStatus, and a new snapshot after reconnecting', async () => {
    sim = await startAriSimulator({ ami: true, logger: silent });
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', online: true });
    sim.setEndpoint('PJSIP/agent1002', { behaviour: 'answer', online: false });
    const batches: { changes: PresenceChange[]; full: boolean }[] = [];
    const presence = new AmiPresence(client(sim.ami!.port), silent);
    await presence.start((changes, full) => batches.push({ changes, full }));
    await until('the snapshot', () => batches.length === 1);
    expect(batches[0]).toEqual({
      full: true,
      changes: [
        { endpoint: 'PJSIP/agent1001', online: true },
        { endpoint: 'PJSIP/agent1002', online: false },
      ],
    });
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', online: false });
    await until('the change', () => batches.length === 2);
    expect(batches[1]).toEqual({ full: false, changes: [{ endpoint: 'PJSIP/agent1001', online: false }] });
    // The same state again (no change) is not reported.
    sim.setEndpoint('PJSIP/agent1002', { behaviour: 'busy', online: true });
    await until('the second change', () => batches.length === 3);
    expect(batches[2]!.changes).toEqual([{ endpoint: 'PJSIP/agent1002', online: true }]);

    expect(sim.dropAmiConnections()).toBe(1);
    await until('reconnected with a snapshot', () => batches.length === 4, 5000);
    expect(batches[3]!.full).toBe(true);
    expect(ami!.reconnects).toBe(1);
  });

  it('keeps trying with backoff while the login is refused, and says why', async () => {
    sim = await startAriSimulator({ ami: true, logger: silent });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (l: string) => void lines.push(l) } as unknown as NodeJS.WritableStream,
    });
    const c = client(sim.ami!.port, 'wrong', logger);
    await c.start();
    expect(c.connected).toBe(false);
    await until('a second attempt', () => lines.filter((l) => l.includes('AMI login refused')).length >= 2);
    await expect(c.action({ action: 'Ping' })).rejects.toMatchObject({ transport: true });
  });

  it('checks events at the edge: a malformed ContactStatus is dropped with the field named', async () => {
    // A fake AMI that accepts the login, then sends one bad and one good ContactStatus.
    fake = createServer((socket) => {
      socket.write('Asterisk Call Manager/9.0.0\r\n');
      let buffer = '';
      socket.on('data', (d) => {
        buffer += d.toString();
        const blocks = buffer.split('\r\n\r\n');
        buffer = blocks.pop() ?? '';
        for (const text of blocks) {
          const id = /ActionID: (\S+)/i.exec(text)?.[1];
          if (/Action: login/i.test(text)) {
            socket.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
          } else if (/Action: PJSIPShow/i.test(text)) {
            socket.write(`Response: Error\r\nActionID: ${id}\r\nMessage: No Contacts found\r\n\r\n`);
          } else {
            socket.write(`Response: Success\r\nActionID: ${id}\r\n\r\n`);
            if (/Action: Events/i.test(text)) {
              socket.write('Event: ContactStatus\r\nURI: sip:x@1.2.3.4\r\nAOR: agent1\r\n\r\n');
              socket.write(
                'Event: ContactStatus\r\nURI: sip:agent1@1.2.3.4\r\nContactStatus: Reachable\r\nAOR: agent1\r\nEndpointName: agent1\r\n\r\n',
              );
            }
          }
        }
      });
    });
    await new Promise<void>((r) => fake!.listen(0, '127.0.0.1', () => r()));
    const port = (fake.address() as { port: number }).port;
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (l: string) => void lines.push(l) } as unknown as NodeJS.WritableStream,
    });
    const batches: PresenceChange[][] = [];
    const presence = new AmiPresence(client(port, 'hotline', logger), logger);
    await presence.start((changes) => batches.push(changes));
    await until('the good event', () => batches.some((b) => b[0]?.endpoint === 'PJSIP/agent1'));
    expect(ami!.eventsRejected).toBe(1);
    const rejected = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'AMI event rejected');
    expect(rejected).toMatchObject({ event: 'contactstatus', field: 'contactstatus' });
    expect(batches).toContainEqual([{ endpoint: 'PJSIP/agent1', online: true }]);
  });

  it('reads the frames Asterisk 22.10.1 sends (recorded from a scratch PBX): static contacts only in EndpointList, NonQualified, Removed', async () => {
    const frames = (id: string) => [
      `Response: Success\r\nActionID: ${id}\r\nEventList: start\r\nMessage: A listing of Endpoints follows, presented as EndpointList events\r\n\r\n`,
      `Event: EndpointList\r\nActionID: ${id}\r\nObjectType: endpoint\r\nObjectName: agent1001\r\nTransport: \r\nAor: agent1001\r\nAuths: agent1001\r\nOutboundAuths: \r\nContacts: \r\nDeviceState: Unavailable\r\nActiveChannels: 0\r\n\r\n`,
      `Event: EndpointList\r\nActionID: ${id}\r\nObjectType: endpoint\r\nObjectName: agent1002\r\nTransport: \r\nAor: agent1002\r\nAuths: \r\nOutboundAuths: \r\nContacts: agent1002/sip:agent1002@127.0.0.9:15062,agent1002/sip:agent1002@127.0.0.9:15064,\r\nDeviceState: Not in use\r\nActiveChannels: 0\r\n\r\n`,
      `Event: EndpointListComplete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: 2\r\n\r\n`,
    ];
    const status = (uri: string, st: string, name: string) =>
      `Event: ContactStatus\r\nPrivilege: system,all\r\nURI: ${uri}\r\nContactStatus: ${st}\r\nAOR: ${name}\r\nEndpointName: ${name}\r\nRoundtripUsec: 0\r\n\r\n`;
    fake = createServer((socket) => {
      socket.write('Asterisk Call Manager/11.0.0\r\n');
      let buffer = '';
      socket.on('data', (d) => {
        buffer += d.toString();
        const blocks = buffer.split('\r\n\r\n');
        buffer = blocks.pop() ?? '';
        for (const text of blocks) {
          const id = /ActionID: (\S+)/i.exec(text)?.[1] ?? '';
          if (/Action: login/i.test(text))
            socket.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
          else if (/Action: PJSIPShowEndpoints/i.test(text)) {
            for (const f of frames(id)) socket.write(f);
            // After the snapshot: one static contact of agent1002 fails, the other still answers;
            // agent1001 registers (NonQualified), stops answering, then unregisters.
            setTimeout(() => {
              socket.write(status('sip:agent1002@127.0.0.9:15062', 'Unreachable', 'agent1002'));
              socket.write(status('sip:agent1001@127.0.0.9:15070', 'NonQualified', 'agent1001'));
              socket.write(status('sip:agent1001@127.0.0.9:15070', 'Unreachable', 'agent1001'));
              socket.write(status('sip:agent1001@127.0.0.9:15070', 'Removed', 'agent1001'));
              socket.write(status('sip:agent1002@127.0.0.9:15064', 'Unreachable', 'agent1002'));
              // The last frame: once it is applied, nothing sent before it is still on the way.
              socket.write(status('sip:agent1003@127.0.0.9:15066', 'Reachable', 'agent1003'));
            }, 20);
          } else if (/Action: PJSIPShowContacts/i.test(text))
            socket.write(`Response: Error\r\nActionID: ${id}\r\nMessage: No Contacts found\r\n\r\n`);
          else socket.write(`Response: Success\r\nActionID: ${id}\r\nEvents: On\r\n\r\n`);
        }
      });
    });
    await new Promise<void>((r) => fake!.listen(0, '127.0.0.1', () => r()));
    const port = (fake.address() as { port: number }).port;
    const batches: { changes: PresenceChange[]; full: boolean }[] = [];
    const presence = new AmiPresence(client(port), silent);
    await presence.start((changes, full) => batches.push({ changes, full }));
    await until('the last frame sent', () =>
      batches.some((b) => b.changes.some((c) => c.endpoint === 'PJSIP/agent1003')),
    );
    expect(batches).toEqual([
      {
        full: true,
        changes: [
          { endpoint: 'PJSIP/agent1001', online: false },
          { endpoint: 'PJSIP/agent1002', online: true },
        ],
      },
      // 15062 failing leaves 15064: agent1002 stays online (no batch).
      { full: false, changes: [{ endpoint: 'PJSIP/agent1001', online: true }] },
      { full: false, changes: [{ endpoint: 'PJSIP/agent1001', online: false }] },
      { full: false, changes: [{ endpoint: 'PJSIP/agent1002', online: false }] },
      { full: false, changes: [{ endpoint: 'PJSIP/agent1003', online: true }] },
    ]);
  });
});
