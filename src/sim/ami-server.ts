import { createServer, type Server, type Socket } from 'node:net';
import type { SimCore } from './core.ts';
import type { EndpointJson } from './endpoints.ts';

/**
 * The simulator's AMI side: what a registration feed reads from Asterisk 22's manager interface
 * (main/manager.c, res_pjsip). Login, Events (event mask), Ping, Logoff, PJSIPShowEndpoints and
 * PJSIPShowContacts (list actions: `EventList: start`, one event per item, then the `…Complete`
 * event), Command (`core show taskprocessors` only), and a `ContactStatus` event (class `system`) each time a scripted endpoint goes online
 * or offline. app_queue's QueueAdd, QueueRemove, QueuePause and QueueStatus keep a members table
 * (the safety-net queue the engine keeps in step with its agents). Asterisk sends call events (class `call`) too; a session that keeps its mask to
 * `system` never sees them, so they are not modelled.
 */
export interface SimAmiOptions {
  host: string;
  users: Record<string, string>;
}

/** A dynamic member of an app_queue queue. */
export interface SimQueueMember {
  interface: string;
  name: string;
  /** Whose device state stands for the member's (QueueAdd's StateInterface, else the interface). */
  stateInterface: string;
  paused: boolean;
  reason: string;
  /** Rung even while its device is in use (QueueMemberRingInUse); the queue's `ringinuse` before. */
  ringInUse: boolean;
}

interface AmiSession {
  socket: Socket;
  buffer: string;
  user?: string;
  /** Event classes the session receives (`on` = all, `off` = none). */
  mask: Set<string>;
}

const CRLF = '\r\n';

function message(fields: [string, string | number][]): string {
  return fields.map(([k, v]) => `${k}: ${v}`).join(CRLF) + CRLF + CRLF;
}

export class SimAmiServer {
  private readonly server: Server;
  private readonly sessions = new Set<AmiSession>();
  /** app_queue's queues: queue name → interface → member. */
  private readonly queues = new Map<string, Map<string, SimQueueMember>>();
  /** ContactStatus events sent (all sessions). */
  eventsSent = 0;
  actions = 0;
  port = 0;

  constructor(
    private readonly core: SimCore,
    private readonly o: SimAmiOptions,
  ) {
    this.server = createServer((socket) => this.accept(socket));
    core.hooks.on('contact-status', (endpoint: EndpointJson) => this.contactStatus(endpoint));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.o.host, () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this.port;
  }

  /** Closes every AMI connection (an outage); the server keeps accepting new ones. */
  dropConnections(): number {
    const n = this.sessions.size;
    for (const s of this.sessions) s.socket.destroy();
    return n;
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const session: AmiSession = { socket, buffer: '', mask: new Set() };
    this.sessions.add(session);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.read(session, chunk));
    socket.on('close', () => this.sessions.delete(session));
    socket.on('error', () => socket.destroy());
    socket.write(`Asterisk Call Manager/9.0.0${CRLF}`);
  }

  private read(session: AmiSession, chunk: string): void {
    session.buffer += chunk;
    if (session.buffer.length > 1 << 20) {
      session.socket.destroy();
      return;
    }
    for (;;) {
      const end = session.buffer.indexOf(CRLF + CRLF);
      if (end < 0) return;
      const block = session.buffer.slice(0, end);
      session.buffer = session.buffer.slice(end + 4);
      const headers = new Map<string, string>();
      for (const line of block.split(CRLF)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      this.action(session, headers);
    }
  }

  private send(session: AmiSession, text: string): void {
    if (!session.socket.destroyed) session.socket.write(text);
  }

  private action(session: AmiSession, h: Map<string, string>): void {
    this.actions++;
    const id = h.get('actionid');
    const withId = (fields: [string, string | number][]): [string, string | number][] =>
      id === undefined ? fields : [fields[0]!, ['ActionID', id], ...fields.slice(1)];
    const reply = (fields: [string, string | number][]) => this.send(session, message(withId(fields)));
    const error = (text: string) =>
      reply([
        ['Response', 'Error'],
        ['Message', text],
      ]);
    const name = (h.get('action') ?? '').toLowerCase();
    if (name === 'login') {
      const user = h.get('username') ?? '';
      if (!Object.hasOwn(this.o.users, user) || this.o.users[user] !== h.get('secret')) {
        error('Authentication failed');
        return;
      }
      session.user = user;
      session.mask = maskOf(h.get('events') ?? 'on');
      reply([
        ['Response', 'Success'],
        ['Message', 'Authentication accepted'],
      ]);
      if (session.mask.has('system'))
        this.send(
          session,
          message([
            ['Event', 'FullyBooted'],
            ['Privilege', 'system,all'],
            ['Uptime', 1],
            ['LastReload', 1],
            ['Status', 'Fully Booted'],
          ]),
        );
      return;
    }
    if (!session.user) {
      error('Permission denied');
      return;
    }
    switch (name) {
      case 'events':
        session.mask = maskOf(h.get('eventmask') ?? 'off');
        reply([
          ['Response', 'Success'],
          ['Events', session.mask.size > 0 ? 'On' : 'Off'],
        ]);
        return;
      case 'ping':
        reply([
          ['Response', 'Success'],
          ['Ping', 'Pong'],
          ['Timestamp', (this.core.timers.now() / 1000).toFixed(6)],
        ]);
        return;
      case 'logoff':
        reply([
          ['Response', 'Goodbye'],
          ['Message', 'Thanks for all the fish.'],
        ]);
        session.socket.end();
        return;
      case 'pjsipshowendpoints':
        return this.list(session, id, 'Endpoints', 'EndpointList', this.endpoints().map(endpointItem));
      case 'pjsipshowcontacts':
        return this.list(session, id, 'Contacts', 'ContactList', this.endpoints().map(contactItem));
      case 'queueadd':
      case 'queueremove':
      case 'queuepause':
      case 'queuememberringinuse':
        return reply(this.queueAction(name, h));
      case 'queuestatus':
        return this.queueStatus(session, id, h.get('queue'));
      case 'command':
        return this.command(session, id, h.get('command') ?? '');
      default:
        error('Invalid/unknown command');
    }
  }

  /**
   * `Action: Command` as manager.c's action_command answers it: the CLI's output as one `Output:`
   * header per line. Only `core show taskprocessors [like <prefix>]` is known: a small idle table
   * in Asterisk 22's format (main/taskprocessor.c), its Processed counters following the actions
   * received. Any other command fails as the CLI does.
   */
  private command(session: AmiSession, id: string | undefined, command: string): void {
    const head: [string, string | number][] = id === undefined ? [] : [['ActionID', id]];
    const words = command.trim().split(/\s+/);
    let ok = true;
    let lines: string[];
    if (words.slice(0, 3).join(' ').toLowerCase() === 'core show taskprocessors' && words.length <= 5) {
      const like = words.length === 5 && words[3]!.toLowerCase() === 'like' ? words[4]!.toLowerCase() : '';
      lines = taskprocessorTable(this.actions, like);
    } else {
      ok = false;
      lines = [
        `No such command '${command.trim()}' (type 'core show help ${command.trim()}' for other possible commands)`,
      ];
    }
    this.send(
      session,
      [
        `Response: ${ok ? 'Success' : 'Error'}`,
        ...head.map(([k, v]) => `${k}: ${v}`),
        'Message: Command output follows',
        ...lines.map((l) => `Output: ${l}`),
      ].join(CRLF) +
        CRLF +
        CRLF,
    );
  }

  /** The members of an app_queue queue (dynamic ones, as QueueAdd makes them), by interface. */
  members(queue: string): SimQueueMember[] {
    return [...(this.queues.get(queue)?.values() ?? [])].map((m) => ({ ...m }));
  }

  /** QueueAdd, QueueRemove, QueuePause, QueueMemberRingInUse as app_queue answers them (manager_add_queue_member, …). */
  private queueAction(name: string, h: Map<string, string>): [string, string | number][] {
    const queue = h.get('queue') ?? '';
    const iface = h.get('interface') ?? '';
    const fail = (text: string): [string, string | number][] => [
      ['Response', 'Error'],
      ['Message', text],
    ];
    const ok = (text: string): [string, string | number][] => [
      ['Response', 'Success'],
      ['Message', text],
    ];
    if (!iface || (name !== 'queuepause' && name !== 'queuememberringinuse' && !queue))
      return fail("'Queue' or 'Interface' not set.");
    const members = this.queues.get(queue) ?? new Map<string, SimQueueMember>();
    if (name === 'queueadd') {
      if (members.has(iface)) return fail('Unable to add interface: Already there');
      const paused = isTrue(h.get('paused'));
      members.set(iface, {
        interface: iface,
        name: h.get('membername') || iface,
        stateInterface: h.get('stateinterface') || iface,
        ringInUse: false,
        paused,
        reason: paused ? (h.get('reason') ?? '') : '',
      });
      this.queues.set(queue, members);
      return ok('Added interface to queue');
    }
    if (name === 'queueremove') {
      if (!members.delete(iface)) return fail('Unable to remove interface: Not there');
      return ok('Removed interface from queue');
    }
    const targets = queue ? [members.get(iface)] : [...this.queues.values()].map((q) => q.get(iface));
    const found = targets.filter((m): m is SimQueueMember => m !== undefined);
    if (name === 'queuememberringinuse') {
      const value = h.get('ringinuse') ?? '';
      if (!value) return fail("Need 'Interface' and 'RingInUse' parameters.");
      if (found.length === 0) return fail('Invalid interface, queuename, or ringinuse value\n');
      for (const m of found) m.ringInUse = isTrue(value);
      return ok('Interface ringinuse set successfully');
    }
    if (found.length === 0) return fail('Interface not found');
    const paused = isTrue(h.get('paused'));
    for (const m of found) {
      m.paused = paused;
      m.reason = paused ? (h.get('reason') ?? '') : '';
    }
    return ok(paused ? 'Interface paused successfully' : 'Interface unpaused successfully');
  }

  /** QueueStatus: QueueParams and one QueueMember per member of each queue (or the one named). */
  private queueStatus(session: AmiSession, id: string | undefined, only: string | undefined): void {
    const head: [string, string | number][] = id === undefined ? [] : [['ActionID', id]];
    this.send(
      session,
      message([
        ['Response', 'Success'],
        ...head,
        ['EventList', 'start'],
        ['Message', 'Queue status will follow'],
      ]),
    );
    const names = only ? [only] : [...this.queues.keys()];
    let items = 0;
    for (const queue of names) {
      const members = [...(this.queues.get(queue)?.values() ?? [])];
      this.send(
        session,
        message([['Event', 'QueueParams'], ...head, ['Queue', queue], ['Max', 0], ['Strategy', 'rrmemory']]),
      );
      items++;
      for (const m of members) {
        items++;
        this.send(
          session,
          message([
            ['Event', 'QueueMember'],
            ...head,
            ['Queue', queue],
            ['Name', m.name],
            ['Location', m.interface],
            ['StateInterface', m.stateInterface],
            ['Membership', 'dynamic'],
            ['Penalty', 0],
            ['CallsTaken', 0],
            ['InCall', 0],
            ['Status', 1],
            ['Paused', m.paused ? 1 : 0],
            ['PausedReason', m.reason],
          ]),
        );
      }
    }
    this.send(
      session,
      message([['Event', 'QueueStatusComplete'], ...head, ['EventList', 'Complete'], ['ListItems', items]]),
    );
  }

  private endpoints(): EndpointJson[] {
    return this.core.endpoints.list('PJSIP').filter((e) => e.resource !== 'carrier');
  }

  private list(
    session: AmiSession,
    id: string | undefined,
    what: string,
    event: string,
    items: [string, string | number][][],
  ): void {
    const head: [string, string | number][] = id === undefined ? [] : [['ActionID', id]];
    if (items.length === 0) {
      this.send(session, message([['Response', 'Error'], ...head, ['Message', `No ${what} found`]]));
      return;
    }
    this.send(
      session,
      message([
        ['Response', 'Success'],
        ...head,
        ['EventList', 'start'],
        ['Message', `A listing of ${what} follows, presented as ${event} events`],
      ]),
    );
    for (const item of items) this.send(session, message([['Event', event], ...head, ...item]));
    this.send(
      session,
      message([
        ['Event', `${event}Complete`],
        ...head,
        ['EventList', 'Complete'],
        ['ListItems', items.length],
      ]),
    );
  }

  private contactStatus(endpoint: EndpointJson): void {
    if (endpoint.technology !== 'PJSIP') return;
    const text = message([
      ['Event', 'ContactStatus'],
      ['Privilege', 'system,all'],
      ['URI', contactUri(endpoint)],
      ['ContactStatus', endpoint.state === 'online' ? 'Reachable' : 'Unreachable'],
      ['AOR', endpoint.resource],
      ['EndpointName', endpoint.resource],
      ['RoundtripUsec', endpoint.state === 'online' ? '1000' : '0'],
    ]);
    for (const s of this.sessions) {
      if (!s.user || !s.mask.has('system')) continue;
      this.send(s, text);
      this.eventsSent++;
    }
  }
}

const ALL = [
  'system',
  'call',
  'log',
  'verbose',
  'command',
  'agent',
  'user',
  'dtmf',
  'reporting',
  'cdr',
  'dialplan',
];

/** Taskprocessors of an idle Asterisk 22 with the project's modules: name, low and high water. */
const TASKPROCESSORS: [string, number, number][] = [
  ['ast_msg_queue', 450, 500],
  ['pjsip/distributor-0000001f', 450, 500],
  ['pjsip/distributor-00000020', 450, 500],
  ['pjsip/options/manage', 4500, 5000],
  ['stasis/m:cdr:aggregator-0000000b', 4500, 5000],
  ['stasis/m:manager:core-0000000c', 2700, 3000],
  ['taskpool/s:pjsip-00000012', 450, 500],
  ['taskpool/s:stasis-00000000', 450, 500],
];

/** `core show taskprocessors` with the CLI's widths (FMT_HEADERS, FMT_FIELDS), every queue empty. */
function taskprocessorTable(processed: number, like: string): string[] {
  const cells = (name: string, values: (string | number)[]) =>
    name.padEnd(70) + values.map((v) => ` ${String(v).padStart(10)}`).join('');
  const rows = TASKPROCESSORS.filter(([name]) => name.toLowerCase().startsWith(like)).map(
    ([name, low, high], i) => cells(name, [Math.max(0, processed - i), 0, 1, low, high, 0, 3]),
  );
  return [
    '',
    cells('Processor', [
      'Processed',
      'In Queue',
      'Max Depth',
      'Low water',
      'High water',
      'Low time(us)',
      'High time(us)',
    ]),
    ...rows,
    '',
    `${rows.length} taskprocessors`,
    '',
  ];
}

function isTrue(value: string | undefined): boolean {
  return ['1', 'true', 'yes', 'on'].includes((value ?? '').trim().toLowerCase());
}

function maskOf(value: string): Set<string> {
  const v = value.trim().toLowerCase();
  if (v === 'on' || v === 'yes' || v === 'true' || v === 'all') return new Set(ALL);
  if (v === 'off' || v === 'no' || v === 'false' || v === '') return new Set();
  return new Set(v.split(',').map((x) => x.trim()));
}

function contactUri(e: EndpointJson): string {
  return `sip:${e.resource}@127.0.0.1:5060`;
}

function endpointItem(e: EndpointJson): [string, string | number][] {
  const online = e.state === 'online';
  return [
    ['ObjectType', 'endpoint'],
    ['ObjectName', e.resource],
    ['Transport', ''],
    ['Aor', e.resource],
    ['Auths', ''],
    ['OutboundAuths', ''],
    ['Contacts', online ? `${e.resource}/${contactUri(e)},` : ''],
    ['DeviceState', online ? (e.channel_ids.length > 0 ? 'In use' : 'Not in use') : 'Unavailable'],
    ['ActiveChannels', e.channel_ids.join(',')],
  ];
}

function contactItem(e: EndpointJson): [string, string | number][] {
  const online = e.state === 'online';
  return [
    ['ObjectType', 'contact'],
    ['ObjectName', `${e.resource};@sim${e.resource.length}`],
    ['Uri', contactUri(e)],
    ['Endpoint', e.resource],
    ['Status', online ? 'Reachable' : 'Unreachable'],
    ['RoundtripUsec', online ? '1000' : 'N/A'],
  ];
}
