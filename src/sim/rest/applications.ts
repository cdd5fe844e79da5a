import type { AppRecord, EventTypeFilter } from '../apps.ts';
import type { SimCore } from '../core.ts';
import { applicationNotFound, badRequest, conflict, unprocessable } from '../errors.ts';
import type { Args, Handler } from './router.ts';

/** Handlers for `/applications/...`: details, subscriptions and the event filter. */
type Source = { scheme: 'channel' | 'bridge' | 'endpoint' | 'deviceState'; id: string };

function parseSource(value: string): Source {
  const colon = value.indexOf(':');
  const scheme = value.slice(0, colon);
  const id = value.slice(colon + 1);
  if (colon <= 0 || id.length === 0) throw badRequest('Invalid event source');
  if (scheme !== 'channel' && scheme !== 'bridge' && scheme !== 'endpoint' && scheme !== 'deviceState') {
    throw badRequest('Event source scheme not recognized');
  }
  return { scheme, id };
}

function parseFilterList(value: unknown): EventTypeFilter[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('Bad request.');
  return value.map((entry) => {
    if (!entry || typeof entry !== 'object' || typeof (entry as { type?: unknown }).type !== 'string') {
      throw badRequest('Bad request.');
    }
    return { ...(entry as EventTypeFilter) };
  });
}

export function applicationHandlers(core: SimCore): Record<string, Handler> {
  const find = (args: Args): AppRecord => {
    const app = core.apps.get(args.req('applicationName'));
    if (!app) throw applicationNotFound();
    return app;
  };
  const endpointExists = (id: string): boolean =>
    id.includes('/') ? core.endpoints.exists(id) : core.endpoints.list(id).length > 0;

  const subscribe = (app: AppRecord, source: Source): void => {
    if (source.scheme === 'channel') {
      const channel = core.channels.get(source.id);
      if (!channel) throw unprocessable('Event source does not exist.');
      core.subscribe(channel, app);
    } else if (source.scheme === 'bridge') {
      const bridge = core.bridges.get(source.id);
      if (!bridge) throw unprocessable('Event source does not exist.');
      bridge.explicit.add(app);
      app.explicitBridges.add(bridge.id);
    } else if (source.scheme === 'endpoint') {
      if (!endpointExists(source.id)) throw unprocessable('Event source does not exist.');
      if (!app.endpoints.has(source.id)) core.apps.endpointSubscriptions++;
      app.endpoints.add(source.id);
    } else {
      app.devices.add(source.id);
    }
  };
  const unsubscribe = (app: AppRecord, source: Source): void => {
    const notSubscribed = () => conflict('Application not subscribed to event source.');
    if (source.scheme === 'channel') {
      const channel = core.channels.get(source.id);
      if (!channel) throw unprocessable('Event source does not exist.');
      if (!core.unsubscribe(channel, app)) throw notSubscribed();
    } else if (source.scheme === 'bridge') {
      const bridge = core.bridges.get(source.id);
      if (!bridge) throw unprocessable('Event source does not exist.');
      if (!bridge.explicit.delete(app)) throw notSubscribed();
      app.explicitBridges.delete(bridge.id);
    } else if (source.scheme === 'endpoint') {
      if (!app.endpoints.delete(source.id)) throw notSubscribed();
      core.apps.endpointSubscriptions--;
    } else if (!app.devices.delete(source.id)) {
      throw notSubscribed();
    }
  };

  return {
    'applications.list': () => ({ status: 200, body: core.apps.list().map((a) => a.toJSON()) }),
    'applications.get': (args) => ({ status: 200, body: find(args).toJSON() }),
    'applications.subscribe': (args) => {
      const app = find(args);
      const sources = args.list('eventSource').map(parseSource);
      for (const source of sources) subscribe(app, source);
      return { status: 200, body: app.toJSON() };
    },
    'applications.unsubscribe': (args) => {
      const app = find(args);
      const sources = args.list('eventSource').map(parseSource);
      for (const source of sources) unsubscribe(app, source);
      return { status: 200, body: app.toJSON() };
    },
    'applications.filter': (args) => {
      const app = find(args);
      const filter = args.body('filter');
      if (filter !== undefined && (filter === null || typeof filter !== 'object' || Array.isArray(filter))) {
        throw badRequest('Bad request.');
      }
      const record = (filter ?? {}) as { allowed?: unknown; disallowed?: unknown };
      app.setFilter(parseFilterList(record.allowed), parseFilterList(record.disallowed));
      return { status: 200, body: app.toJSON() };
    },
  };
}
