import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { type RoutePolicy, routePolicies } from '../admin/permissions.ts';
import { ChangeAgentBody, NewAgentBody } from '../admin/roster-edits.ts';
import { HeatmapRequest, ReportRequest, TransfersRequest } from '../reports/report-request.ts';
import { apiErrors } from './errors.ts';
import { ExplainBody, PublishBody, PublishPreviewBody, RollbackBody, ValidateBody } from './rules.ts';
import { WhatIfBody } from './whatif.ts';

const bodies: Record<string, z.ZodType> = {
  'POST /rules/validate': ValidateBody,
  'POST /rules/explain': ExplainBody,
  'POST /rules/publish': PublishBody,
  'POST /rules/publish/preview': PublishPreviewBody,
  'POST /rules/versions/:n/rollback': RollbackBody,
  'POST /rules/whatif': WhatIfBody,
  'POST /agents/:id/login': z.object({ endpoint: z.string().describe('e.g. PJSIP/agent1001') }),
  'POST /agents/:id/not-ready': z.object({
    reason: z.string().min(1).max(64).describe('one of GET /not-ready-reasons, e.g. 小休'),
  }),
  'POST /calls/:id/transfers': z.object({
    target: z.string().describe('subcenter:ID, expert:ID, emergency:ID, center:ID or directory:ID'),
    mode: z.enum(['three-way', 'consult', 'blind']),
  }),
  'POST /calls/:id/tickets': z.object({ target: z.string(), reason: z.string().min(1).max(500) }),
  'POST /roster/agents': NewAgentBody,
  'PUT /roster/agents/:id': ChangeAgentBody,
};

/** Query strings, documented as parameters. */
const queries: Record<string, z.ZodType> = {
  'GET /reports/summary': ReportRequest,
  'GET /reports/transfers': TransfersRequest,
  'GET /reports/heatmap': HeatmapRequest,
};

function queryParameters(schema: z.ZodType | undefined) {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input' }) as {
    properties?: Record<string, { description?: string }>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(s.description ? { description: s.description } : {}),
    schema: s,
  }));
}

const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', enum: Object.values(apiErrors).map((e) => e.code) },
    message: { type: 'string' },
    field: { type: 'string' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        properties: { file: { type: 'string' }, path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  required: ['error'],
};

function operation(p: RoutePolicy) {
  const params = [
    ...[...p.url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...queryParameters(queries[`${p.method} ${p.url}`]),
  ];
  const body = bodies[`${p.method} ${p.url}`];
  const who = p.public
    ? 'Public.'
    : `Roles: ${p.roles?.join(', ')}${p.agent === 'self' ? ' (an agent: itself only)' : p.agent === 'own-call' ? ' (an agent: its own calls only)' : ''}.`;
  return {
    summary: p.summary,
    description: `${who}${p.callerData ? ' Reads are written to the access ledger.' : ''}`,
    ...(p.public ? { security: [] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: z.toJSONSchema(body, { io: 'input' }) } },
          },
        }
      : {}),
    responses: {
      '200': { description: 'OK' },
      ...(p.public
        ? {}
        : {
            '401': {
              description: 'No token or a bad token',
              content: { 'application/json': { schema: errorSchema } },
            },
            '403': {
              description: 'The role may not',
              content: { 'application/json': { schema: errorSchema } },
            },
            '429': { description: 'Too many failed authentications' },
          }),
      default: { description: 'An error', content: { 'application/json': { schema: errorSchema } } },
    },
  };
}

/** The OpenAPI document of the routes the app registered, built from the access policy table. */
export function openApiDocument(registered: ReadonlySet<string>) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const p of routePolicies) {
    if (!registered.has(`${p.method} ${p.url}`)) continue;
    const path = p.url.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][p.method.toLowerCase()] = operation(p);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'hotline — 12345 routing engine API',
      version: '1',
      description:
        'Agents, queues, live calls and transfers, rules administration (versions, hot reload), ' +
        'metrics. Every route but the public ones needs `Authorization: Bearer <token>`.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

/** `GET /docs/openapi.json` (the page `/docs` is served with the web pages). */
export const docsApi: FastifyPluginAsync<{ registered: ReadonlySet<string> }> = async (app, o) => {
  app.get('/docs/openapi.json', async () => openApiDocument(o.registered));
};
