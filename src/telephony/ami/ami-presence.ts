import type { Logger } from 'pino';
import type { PresenceChange, PresencePort } from '../port.ts';
import type { AmiClient } from './ami-client.ts';
import {
  type ContactStatusEvent,
  contactListEvent,
  contactStatusEvent,
  contactUsable,
  endpointListEvent,
  firstProblem,
} from './ami-events.ts';

/**
 * Softphone registration from AMI: a snapshot (`PJSIPShowEndpoints`, `PJSIPShowContacts`) at
 * every (re)connection, then one `ContactStatus` event per contact change, each mapped to its
 * endpoint at O(1). An endpoint is online while one of its contacts is usable.
 */
export class AmiPresence implements PresencePort {
  /** Endpoint (`PJSIP/agent1001`) → its contacts' URIs → usable. */
  private readonly contacts = new Map<string, Map<string, boolean>>();
  private readonly online = new Map<string, boolean>();
  private listener?: (changes: PresenceChange[], full: boolean) => void;
  /** ContactStatus events that arrive while a snapshot is read: applied after it, in order. */
  private held: ContactStatusEvent[] | undefined;
  snapshots = 0;

  constructor(
    private readonly ami: AmiClient,
    private readonly logger: Logger,
    private readonly tech = 'PJSIP',
  ) {}

  async start(listener: (changes: PresenceChange[], full: boolean) => void): Promise<void> {
    this.listener = listener;
    this.ami.onEvent('ContactStatus', contactStatusEvent, (e) => this.onContactStatus(e));
    this.ami.onConnected(() => {
      void this.snapshot().catch((err: Error) =>
        this.logger.warn({ err: err.message }, 'AMI registration snapshot failed; events still apply'),
      );
    });
    await this.ami.start();
  }

  async stop(): Promise<void> {
    this.listener = undefined;
    await this.ami.stop();
  }

  /** Reads every endpoint and contact once, and reports every endpoint's state. */
  async snapshot(): Promise<void> {
    this.held ??= [];
    try {
      await this.readSnapshot();
    } finally {
      const held = this.held ?? [];
      this.held = undefined;
      for (const e of held) this.onContactStatus(e);
    }
  }

  private async readSnapshot(): Promise<void> {
    const endpoints = await this.ami
      .list({ action: 'PJSIPShowEndpoints' }, 'EndpointListComplete')
      .catch((err: { transport?: boolean; message: string }) => {
        if (err.transport) throw err;
        return []; // "No endpoints found"
      });
    const contacts = await this.ami
      .list({ action: 'PJSIPShowContacts' }, 'ContactListComplete')
      .catch((err: { transport?: boolean; message: string }) => {
        if (err.transport) throw err;
        return []; // "No Contacts found"
      });
    this.contacts.clear();
    const state = new Map<string, boolean>();
    for (const raw of endpoints) {
      const e = endpointListEvent.safeParse(raw);
      if (!e.success) {
        this.logger.warn({ event: 'EndpointList', ...firstProblem(e.error) }, 'AMI event rejected');
        continue;
      }
      const ds = e.data.devicestate.toLowerCase();
      const endpoint = `${this.tech}/${e.data.objectname}`;
      const online = ds !== 'unavailable' && ds !== 'invalid';
      state.set(endpoint, online);
      // `Contacts: aor/uri,aor/uri,` names static contacts too (PJSIPShowContacts lists only
      // registered ones, as seen on 22.10.1): their URIs seed the map the events update.
      for (const entry of (e.data.contacts ?? '').split(',')) {
        const slash = entry.indexOf('/');
        if (slash <= 0) continue;
        const map = this.contacts.get(endpoint) ?? new Map<string, boolean>();
        map.set(entry.slice(slash + 1), online);
        this.contacts.set(endpoint, map);
      }
    }
    for (const raw of contacts) {
      const c = contactListEvent.safeParse(raw);
      if (!c.success) {
        this.logger.warn({ event: 'ContactList', ...firstProblem(c.error) }, 'AMI event rejected');
        continue;
      }
      const aor = c.data.objectname.split(';@')[0] ?? '';
      const endpoint = `${this.tech}/${c.data.endpoint || aor}`;
      const map = this.contacts.get(endpoint) ?? new Map<string, boolean>();
      map.set(c.data.uri, contactUsable(c.data.status));
      this.contacts.set(endpoint, map);
    }
    for (const [endpoint, map] of this.contacts) {
      if (map.size > 0) state.set(endpoint, [...map.values()].some(Boolean));
    }
    this.online.clear();
    for (const [endpoint, online] of state) this.online.set(endpoint, online);
    this.snapshots++;
    this.listener?.(
      [...state].map(([endpoint, online]) => ({ endpoint, online })),
      true,
    );
  }

  private onContactStatus(e: ContactStatusEvent): void {
    if (this.held) {
      this.held.push(e);
      return;
    }
    const name = e.endpointname || e.aor;
    if (!name) return;
    const endpoint = `${this.tech}/${name}`;
    const map = this.contacts.get(endpoint) ?? new Map<string, boolean>();
    if (e.contactstatus.toLowerCase() === 'removed') map.delete(e.uri);
    else map.set(e.uri, contactUsable(e.contactstatus));
    this.contacts.set(endpoint, map);
    const online = [...map.values()].some(Boolean);
    if (this.online.get(endpoint) === online) return;
    this.online.set(endpoint, online);
    this.listener?.([{ endpoint, online }], false);
  }
}
