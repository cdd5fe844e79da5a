/**
 * Scripted far ends for originate/dial targets (`PJSIP/agent1001`, `PJSIP/12366@trunk`).
 * Unknown endpoints behave like an unreachable UDP contact, as in trace e.
 */
export type EndpointBehaviour = 'answer' | 'busy' | 'no-answer' | 'unreachable';

export interface EndpointSettings {
  behaviour: EndpointBehaviour;
  /** answer: ms from the INVITE to the 200 OK; busy: ms to the 486. */
  answerAfterMs?: number;
  /** The far end hangs up this many ms after answering. */
  hangupAfterMs?: number;
  online?: boolean;
  /** DTMF the far end sends after answering (e.g. an agent's confirmation key). */
  dtmfAfterAnswer?: string;
  callerName?: string;
  callerNumber?: string;
  context?: string;
}

export interface EndpointJson {
  technology: string;
  resource: string;
  state: 'online' | 'offline';
  channel_ids: string[];
}

export interface EndpointAddress {
  tech: string;
  /** The endpoint's own name: `agent1001`, or `trunk` in `PJSIP/12366@trunk`. */
  resource: string;
  /** What follows the technology: `agent1001`, `12366@trunk`. */
  dialstring: string;
}

export function parseEndpoint(endpoint: string): EndpointAddress | undefined {
  const slash = endpoint.indexOf('/');
  if (slash <= 0 || slash === endpoint.length - 1) return undefined;
  const tech = endpoint.slice(0, slash);
  const dialstring = endpoint.slice(slash + 1);
  const at = dialstring.lastIndexOf('@');
  const resource = at >= 0 ? dialstring.slice(at + 1) : dialstring;
  if (resource.length === 0) return undefined;
  return { tech, resource, dialstring };
}

interface EndpointEntry {
  address: EndpointAddress;
  settings: EndpointSettings;
  channelIds: Set<string>;
}

const unreachable: EndpointSettings = { behaviour: 'unreachable', online: true };

export class EndpointRegistry {
  /** Settings by the exact endpoint string given to setEndpoint. */
  private readonly settings = new Map<string, EndpointSettings>();
  /** Listed endpoints by `tech/resource`. */
  private readonly entries = new Map<string, EndpointEntry>();

  constructor() {
    this.set('PJSIP/carrier', { behaviour: 'answer', online: true });
  }

  /** Stores settings; returns the previous and new online state of the listed endpoint. */
  set(endpoint: string, settings: EndpointSettings): { key: string; wasOnline: boolean; online: boolean } {
    const address = parseEndpoint(endpoint);
    if (!address) throw new Error(`bad endpoint ${endpoint}`);
    this.settings.set(endpoint, settings);
    const key = `${address.tech}/${address.resource}`;
    const entry = this.entries.get(key);
    const wasOnline = entry ? entry.settings.online !== false : true;
    if (entry) entry.settings = settings;
    else this.entries.set(key, { address, settings, channelIds: new Set() });
    return { key, wasOnline, online: settings.online !== false };
  }

  /** Behaviour for a dial target: exact string first, then the endpoint it names. */
  resolve(endpoint: string): EndpointSettings {
    const exact = this.settings.get(endpoint);
    if (exact) return exact;
    const address = parseEndpoint(endpoint);
    if (!address) return unreachable;
    return this.entries.get(`${address.tech}/${address.resource}`)?.settings ?? unreachable;
  }

  attach(endpoint: string, channelId: string): void {
    this.entryFor(endpoint)?.channelIds.add(channelId);
  }

  detach(endpoint: string, channelId: string): void {
    this.entryFor(endpoint)?.channelIds.delete(channelId);
  }

  private entryFor(endpoint: string): EndpointEntry | undefined {
    const address = parseEndpoint(endpoint);
    return address ? this.entries.get(`${address.tech}/${address.resource}`) : undefined;
  }

  json(key: string): EndpointJson | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    return {
      technology: entry.address.tech,
      resource: entry.address.resource,
      state: entry.settings.online === false ? 'offline' : 'online',
      channel_ids: [...entry.channelIds],
    };
  }

  list(tech?: string): EndpointJson[] {
    const out: EndpointJson[] = [];
    for (const key of this.entries.keys()) {
      const json = this.json(key);
      if (json && (tech === undefined || json.technology === tech)) out.push(json);
    }
    return out;
  }

  exists(key: string): boolean {
    return this.entries.has(key);
  }
}
