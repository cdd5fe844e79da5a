/**
 * Stasis applications: which WebSocket owns each app, what the app is subscribed to, its event
 * filter, and event delivery. Like Asterisk, events for an app whose WebSocket is down are
 * dropped, not buffered.
 */
export interface EventSink {
  send(data: string): void;
}

export interface AriEvent {
  type: string;
  [field: string]: unknown;
}

export interface EventTypeFilter {
  type: string;
  [key: string]: unknown;
}

export interface ApplicationJson {
  name: string;
  channel_ids: string[];
  bridge_ids: string[];
  endpoint_ids: string[];
  device_names: string[];
  events_allowed: EventTypeFilter[];
  events_disallowed: EventTypeFilter[];
}

export class AppRecord {
  socket: EventSink | undefined;
  subscribeAll = false;
  /** Channels whose events the app receives (owned in Stasis, originated for it, or subscribed). */
  readonly channels = new Set<string>();
  readonly explicitBridges = new Set<string>();
  readonly implicitBridges = new Map<string, number>();
  /** `PJSIP/agent1001` for one endpoint, `PJSIP` for a whole technology. */
  readonly endpoints = new Set<string>();
  readonly devices = new Set<string>();
  private allowed: EventTypeFilter[] = [];
  private disallowed: EventTypeFilter[] = [];
  private allowedTypes: Set<string> | undefined;
  private disallowedTypes: Set<string> | undefined;
  /** Closes the JSON of an event with this app's `application` field. */
  readonly suffix: string;

  constructor(readonly name: string) {
    this.suffix = `,"application":${JSON.stringify(name)}}`;
  }

  get active(): boolean {
    return this.socket !== undefined;
  }

  setFilter(allowed: EventTypeFilter[], disallowed: EventTypeFilter[]): void {
    this.allowed = allowed;
    this.disallowed = disallowed;
    this.allowedTypes = allowed.length > 0 ? new Set(allowed.map((f) => f.type)) : undefined;
    this.disallowedTypes = disallowed.length > 0 ? new Set(disallowed.map((f) => f.type)) : undefined;
  }

  accepts(type: string): boolean {
    if (this.allowedTypes && !this.allowedTypes.has(type)) return false;
    return !this.disallowedTypes?.has(type);
  }

  toJSON(): ApplicationJson {
    const bridges = new Set([...this.explicitBridges, ...this.implicitBridges.keys()]);
    return {
      name: this.name,
      channel_ids: [...this.channels],
      bridge_ids: [...bridges],
      endpoint_ids: [...this.endpoints],
      device_names: [...this.devices],
      events_allowed: this.allowed,
      events_disallowed: this.disallowed,
    };
  }
}

export class AppRegistry {
  private readonly apps = new Map<string, AppRecord>();
  readonly subscribeAllApps = new Set<AppRecord>();
  /**
   * Endpoint subscriptions of all apps. Like Asterisk, an app subscribed to an endpoint (or a
   * whole technology, `endpoint:PJSIP`) also receives every event of every channel on it — again,
   * when it owns the channel already (each DTMF twice), and for calls it never routes.
   */
  endpointSubscriptions = 0;
  /** Events sent only because of an endpoint subscription. */
  eventsByEndpoint = 0;
  eventsSent = 0;
  eventsDropped = 0;
  eventsFiltered = 0;

  get(name: string): AppRecord | undefined {
    return this.apps.get(name);
  }

  ensure(name: string): AppRecord {
    let app = this.apps.get(name);
    if (!app) {
      app = new AppRecord(name);
      this.apps.set(name, app);
    }
    return app;
  }

  list(): AppRecord[] {
    return [...this.apps.values()];
  }

  /** Apps subscribed to `tech/resource` or to all of `tech`. */
  endpointApps(tech: string, resource: string): AppRecord[] {
    const out: AppRecord[] = [];
    if (this.endpointSubscriptions === 0) return out;
    const key = `${tech}/${resource}`;
    for (const app of this.apps.values())
      if (app.endpoints.has(key) || app.endpoints.has(tech)) out.push(app);
    return out;
  }

  /** The copy of a channel event an endpoint subscription adds (channel names are `TECH/resource-<seq>`). */
  private deliverToEndpointApps(event: AriEvent, channelName: string): void {
    const slash = channelName.indexOf('/');
    const dash = channelName.lastIndexOf('-');
    if (slash <= 0 || dash <= slash) return;
    const apps = this.endpointApps(channelName.slice(0, slash), channelName.slice(slash + 1, dash));
    if (apps.length === 0) return;
    const body = JSON.stringify(event).slice(0, -1);
    for (const app of apps) {
      if (!app.accepts(event.type)) {
        this.eventsFiltered++;
        continue;
      }
      if (!app.socket) {
        this.eventsDropped++;
        continue;
      }
      app.socket.send(body + app.suffix);
      this.eventsSent++;
      this.eventsByEndpoint++;
    }
  }

  /** True when `name` has a connected WebSocket, i.e. Stasis(name) would succeed. */
  isActive(name: string): boolean {
    return this.apps.get(name)?.active ?? false;
  }

  setSubscribeAll(app: AppRecord, on: boolean): void {
    app.subscribeAll = on;
    if (on) this.subscribeAllApps.add(app);
    else this.subscribeAllApps.delete(app);
  }

  /**
   * Sends `event` to each target app (plus apps subscribed to everything). The JSON text is
   * built once; each app's `application` field is appended to it.
   */
  deliver(event: AriEvent, targets: Iterable<AppRecord>): void {
    // StasisStart/StasisEnd go to the channel's app only; the channel topic's events are forwarded.
    if (this.endpointSubscriptions > 0 && event.type !== 'StasisStart' && event.type !== 'StasisEnd') {
      const name = (event.channel as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string') this.deliverToEndpointApps(event, name);
    }
    let body: string | undefined;
    const send = (app: AppRecord): void => {
      if (!app.accepts(event.type)) {
        this.eventsFiltered++;
        return;
      }
      if (!app.socket) {
        this.eventsDropped++;
        return;
      }
      body ??= JSON.stringify(event).slice(0, -1);
      app.socket.send(body + app.suffix);
      this.eventsSent++;
    };
    if (this.subscribeAllApps.size === 0) {
      for (const app of targets) send(app);
      return;
    }
    const all = new Set(targets);
    for (const app of this.subscribeAllApps) all.add(app);
    for (const app of all) send(app);
  }
}
