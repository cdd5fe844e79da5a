import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodError } from 'zod';
import { HotlineError } from '../errors.ts';
import { RulesInvalidError } from '../plan/problems.ts';

/**
 * The API error catalogue: every error a client can see has a stable `code` and an HTTP status.
 * Bodies are `{ error: code, message, field? }`. Unexpected errors are logged and answered with
 * `500 { error: 'internal' }`, never with their message.
 */
export const apiErrors = {
  invalidRequest: { code: 'invalid-request', statusCode: 400 },
  invalidAgent: { code: 'invalid-agent', statusCode: 400 },
  noSuchAgent: { code: 'no-such-agent', statusCode: 404 },
  agentExists: { code: 'agent-exists', statusCode: 409 },
  agentDisabled: { code: 'agent-disabled', statusCode: 409 },
  noSuchCall: { code: 'no-such-call', statusCode: 404 },
  noSuchQueue: { code: 'no-such-queue', statusCode: 404 },
  invalidTransition: { code: 'invalid-transition', statusCode: 409 },
  noSuchReservation: { code: 'no-such-reservation', statusCode: 409 },
  duplicateCall: { code: 'duplicate-call', statusCode: 409 },
  deviceUnavailable: { code: 'device-unavailable', statusCode: 409 },
  endpointNotAssigned: { code: 'endpoint-not-assigned', statusCode: 403 },
  storeConflict: { code: 'store-conflict', statusCode: 503 },
  noSuchTarget: { code: 'no-such-target', statusCode: 400 },
  notTalking: { code: 'not-talking', statusCode: 409 },
  noSuchMonitor: { code: 'no-such-monitor', statusCode: 404 },
  monitorInProgress: { code: 'monitor-in-progress', statusCode: 409 },
  transferInProgress: { code: 'transfer-in-progress', statusCode: 409 },
  noTransfer: { code: 'no-transfer', statusCode: 409 },
  notAnswered: { code: 'not-answered', statusCode: 409 },
  noSuchRecording: { code: 'no-such-recording', statusCode: 404 },
  rangeNotSatisfiable: { code: 'range-not-satisfiable', statusCode: 416 },
  unauthorized: { code: 'unauthorized', statusCode: 401 },
  forbidden: { code: 'forbidden', statusCode: 403 },
  notFound: { code: 'not-found', statusCode: 404 },
  tooManyRequests: { code: 'too-many-requests', statusCode: 429 },
  tooManyStreams: { code: 'too-many-streams', statusCode: 429 },
  rulesInvalid: { code: 'rules-invalid', statusCode: 422 },
  noSuchVersion: { code: 'no-such-version', statusCode: 404 },
  versionConflict: { code: 'version-conflict', statusCode: 409 },
  unknownNumber: { code: 'unknown-number', statusCode: 404 },
  invalidQuery: { code: 'invalid-query', statusCode: 400 },
  admissionOff: { code: 'admission-off', statusCode: 409 },
  /** No records database (RECORDS_DATABASE_URL): no reports. */
  reportsOff: { code: 'reports-off', statusCode: 503 },
  /** The records database did not answer a report. */
  reportsUnavailable: { code: 'reports-unavailable', statusCode: 503 },
  internal: { code: 'internal', statusCode: 500 },
} as const satisfies Record<string, { code: string; statusCode: number }>;

const statusByCode = new Map<string, number>(Object.values(apiErrors).map((e) => [e.code, e.statusCode]));

/** A bad request, naming the offending field (`body.endpoint`, `params.id`). */
export class InvalidRequestError extends HotlineError {
  readonly field: string;
  constructor(message: string, field: string) {
    super(apiErrors.invalidRequest.code, message);
    this.field = field;
  }
}

/**
 * A login on a phone the roster does not assign to the agent (another agent's phone, a number on
 * a trunk, a `Local/` channel), or by an agent the roster assigns no phone to.
 */
export class EndpointNotAssignedError extends HotlineError {
  readonly field = 'body.endpoint';
  constructor(agentId: string, endpoint: string | undefined, assigned: readonly string[]) {
    super(
      apiErrors.endpointNotAssigned.code,
      endpoint === undefined
        ? `body.endpoint: the roster assigns no phone to agent '${agentId}'`
        : `body.endpoint: '${endpoint.slice(0, 128)}' is not assigned to agent '${agentId}' (assigned: ${assigned.join(', ') || 'none'})`,
    );
  }
}

/** A login by an agent an administrator has disabled (src/admin/roster-admin.ts). */
export class AgentDisabledError extends HotlineError {
  constructor(agentId: string) {
    super(apiErrors.agentDisabled.code, `agent '${agentId}' is disabled by an administrator: no login`);
  }
}

/** Turns the first zod issue into an InvalidRequestError for the request part (`body`, `params`). */
export function invalidRequest(part: string, error: ZodError): InvalidRequestError {
  const issue = error.issues[0];
  const field = [part, ...(issue?.path ?? []).map(String)].join('.');
  return new InvalidRequestError(issue ? `${field}: ${issue.message}` : `invalid ${part}`, field);
}

function isFastifyClientError(err: unknown): err is FastifyError {
  const e = err as Partial<FastifyError> | null;
  return (
    typeof e?.code === 'string' &&
    e.code.startsWith('FST_') &&
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  );
}

/** Sends an error as the catalogue says. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof InvalidRequestError) {
    return reply.code(400).send({ error: err.code, message: err.message, field: err.field });
  }
  if (err instanceof RulesInvalidError) {
    return reply.code(422).send({
      error: err.code,
      message: `${err.problems.length} problem(s) in the rules`,
      problems: err.problems,
    });
  }
  if (err instanceof HotlineError) {
    const status = statusByCode.get(err.code);
    if (status !== undefined && status < 500) {
      const field = err instanceof EndpointNotAssignedError ? { field: err.field } : {};
      return reply.code(status).send({ error: err.code, message: err.message, ...field });
    }
    if (status !== undefined) {
      request.log.error({ err }, 'request failed');
      return reply.code(status).send({ error: err.code });
    }
  }
  if (isFastifyClientError(err)) {
    // Body parsing and content-type errors: the client's fault, and fastify's messages are safe.
    return reply
      .code(err.statusCode ?? 400)
      .send({ error: apiErrors.invalidRequest.code, message: err.message, field: 'body' });
  }
  request.log.error({ err }, 'request failed');
  return reply.code(500).send({ error: apiErrors.internal.code });
}

/** Installs `sendError` as the error handler of this (encapsulated) fastify context. */
export function useErrorCatalogue(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
}
