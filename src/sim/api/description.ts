import { eventModels, type ModelSpec, objectModels } from './models.ts';
import { type OperationSpec, operations, resourceDescriptions, resourceNames } from './operations.ts';

/**
 * Builds the Swagger 1.2 documents ari-client loads before anything else:
 * `GET /ari/api-docs/resources.json` lists one API declaration per resource, and each
 * `GET /ari/api-docs/{resource}.json` carries its operations and models. `basePath` is absolute
 * (built from the Host header) because swagger-client prefixes every operation path with it.
 */
const API_VERSION = '10.0.0';

export function resourceListing(basePath: string): object {
  return {
    apiVersion: API_VERSION,
    swaggerVersion: '1.2',
    basePath,
    apis: resourceNames.map((name) => ({
      path: `/api-docs/${name}.{format}`,
      description: resourceDescriptions[name] ?? name,
    })),
  };
}

function operationJson(op: OperationSpec): object {
  return {
    httpMethod: op.httpMethod,
    summary: op.summary,
    nickname: op.nickname,
    responseClass: op.responseClass,
    parameters: op.parameters.map((param) => ({
      name: param.name,
      paramType: param.paramType,
      required: param.required,
      allowMultiple: param.allowMultiple,
      dataType: param.dataType,
    })),
    ...(op.nickname === 'eventWebsocket' ? { upgrade: 'websocket', websocketProtocol: 'ari' } : {}),
  };
}

function modelsJson(models: ModelSpec[]): Record<string, ModelSpec> {
  const out: Record<string, ModelSpec> = {};
  for (const m of models) out[m.id] = m;
  return out;
}

/** The API declaration of one resource, or undefined for an unknown name. */
export function apiDeclaration(resource: string, basePath: string): object | undefined {
  if (!resourceNames.includes(resource)) return undefined;
  const byPath = new Map<string, OperationSpec[]>();
  for (const op of operations) {
    if (op.resource !== resource) continue;
    const list = byPath.get(op.path) ?? [];
    list.push(op);
    byPath.set(op.path, list);
  }
  const models = resource === 'events' ? eventModels : (objectModels[resource] ?? []);
  return {
    apiVersion: API_VERSION,
    swaggerVersion: '1.2',
    basePath,
    resourcePath: `/api-docs/${resource}.{format}`,
    apis: [...byPath.entries()].map(([path, ops]) => ({
      path,
      description: resourceDescriptions[resource] ?? resource,
      operations: ops.map(operationJson),
    })),
    models: modelsJson(models),
  };
}
