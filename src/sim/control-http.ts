import type { AriSimulator } from './control.ts';
import { SimControlError, SimRestError } from './errors.ts';
import type { RestReply } from './rest/router.ts';
import {
  batchSchema,
  dropSchema,
  dtmfSchema,
  endpointSettingsSchema,
  endpointStringSchema,
  failRestSchema,
  hangupSchema,
  injectCallSchema,
  parseInput,
  refuseSchema,
} from './schemas.ts';

/**
 * The control API over HTTP, under `/sim` on the simulator's port (JSON in and out; 400 with
 * the offending `field` on bad input). Used by the `simulate` command and by hand:
 *
 *   POST /sim/calls                         {app, dialed, callerNumber, callerName?, script?}
 *   POST /sim/endpoints                     {endpoint, behaviour, answerAfterMs?, ...}
 *   POST /sim/channels/{id}/hangup          {cause?}
 *   POST /sim/channels/{id}/dtmf            {digits, gapMs?}
 *   POST /sim/faults/drop-websockets        {app?}
 *   POST /sim/faults/refuse-websockets      {ms}
 *   POST /sim/faults/fail-rest              {method?, pathPrefix?, status, count}
 *   POST /sim/batch                         {ops: [{method, path, body?}, ...]}
 *   GET  /sim/stats | /sim/channels | /sim/bridges | /sim/calls/{id}
 *
 * A batch runs its requests in order, each as if sent alone, and answers 200 with
 * `{results: [{status, body?}, ...]}` (a request that fails does not stop the others): a load
 * generator in another process sends what piled up while its previous batch was on its way.
 */
export function controlHttp(
  sim: AriSimulator,
): (method: string, path: string, q: URLSearchParams, body: unknown) => RestReply {
  const one = request(sim);
  return (method, path, query, body) => {
    if (method !== 'POST' || path !== '/batch') return one(method, path, query, body);
    const { ops } = parseInput(batchSchema, body ?? {});
    const results = ops.map((op): RestReply => {
      try {
        const [pathname = '', search = ''] = op.path.split('?');
        return one(op.method, pathname, new URLSearchParams(search), op.body);
      } catch (err) {
        if (err instanceof SimControlError || err instanceof SimRestError) {
          return { status: err.status, body: { message: err.message, code: err.code, field: fieldOf(err) } };
        }
        return { status: 500, body: { message: (err as Error)?.message ?? 'Internal Server Error' } };
      }
    });
    return { status: 200, body: { results } };
  };
}

const fieldOf = (err: SimControlError | SimRestError): string | undefined =>
  err instanceof SimControlError ? err.field : undefined;

function request(
  sim: AriSimulator,
): (method: string, path: string, q: URLSearchParams, body: unknown) => RestReply {
  return (method, path, _query, body) => {
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    const route = `${method} /${segs.map((s, i) => (i === 1 && (segs[0] === 'channels' || segs[0] === 'calls') ? ':id' : s)).join('/')}`;
    const input = body ?? {};
    const id = segs[1] ?? '';
    switch (route) {
      case 'GET /stats':
        return { status: 200, body: sim.stats() };
      case 'GET /channels':
        return { status: 200, body: sim.channels() };
      case 'GET /bridges':
        return { status: 200, body: sim.bridges() };
      case 'GET /calls/:id': {
        const outcome = sim.callOutcome(id);
        if (!outcome) throw new SimControlError('sim-unknown-call', `no call ${id}`, 404, 'channelId');
        return { status: 200, body: outcome };
      }
      case 'POST /calls':
        return { status: 201, body: sim.injectCall(parseInput(injectCallSchema, input)) };
      case 'POST /endpoints': {
        const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
        const { endpoint, ...settings } = record;
        sim.setEndpoint(
          parseInput(endpointStringSchema, endpoint, 'endpoint'),
          parseInput(endpointSettingsSchema, settings),
        );
        return { status: 204 };
      }
      case 'POST /channels/:id/hangup':
        sim.hangup(id, parseInput(hangupSchema, input).cause);
        return { status: 204 };
      case 'POST /channels/:id/dtmf': {
        const dtmf = parseInput(dtmfSchema, input);
        sim.sendDtmf(id, dtmf.digits, dtmf.gapMs);
        return { status: 204 };
      }
      case 'POST /faults/drop-websockets':
        return { status: 200, body: { dropped: sim.dropWebSockets(parseInput(dropSchema, input).app) } };
      case 'POST /faults/refuse-websockets':
        sim.refuseWebSockets(parseInput(refuseSchema, input).ms);
        return { status: 204 };
      case 'POST /faults/fail-rest':
        sim.failNextRest(parseInput(failRestSchema, input));
        return { status: 204 };
      default:
        throw new SimControlError('sim-unknown-route', `no control route ${method} /sim${path}`, 404);
    }
  };
}
