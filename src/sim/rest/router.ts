import { type OperationSpec, operations, type ParamSpec } from '../api/operations.ts';
import { badRequest } from '../errors.ts';

/**
 * Routes ARI requests with the operations table: a trie over path segments where literal
 * segments win over `{param}` ones (`/channels/create` before `/channels/{channelId}`).
 */
export interface RestReply {
  status: number;
  body?: unknown;
  /** A file rather than JSON (a stored recording's): sent as is with its content type. */
  file?: { type: string; data: Buffer };
}

/** Validated parameters of one request (path, query and JSON body). */
export class Args {
  constructor(
    private readonly values: Map<string, string>,
    private readonly bodyValues: Map<string, unknown>,
  ) {}

  str(name: string): string | undefined {
    return this.values.get(name);
  }

  req(name: string): string {
    const v = this.values.get(name);
    if (v === undefined) throw badRequest(`Missing required parameter: ${name}`);
    return v;
  }

  int(name: string): number | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw badRequest(`Invalid integer for ${name}`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 'false' || v === '0' || v === 'no') return false;
    throw badRequest(`Invalid boolean for ${name}`);
  }

  /** An allowMultiple parameter: comma-separated and/or repeated. */
  list(name: string): string[] {
    const v = this.values.get(name);
    return v === undefined ? [] : v.split(',').filter((s) => s.length > 0);
  }

  body(name: string): unknown {
    return this.bodyValues.get(name);
  }
}

export type Handler = (args: Args) => RestReply;

interface Node {
  literal: Map<string, Node>;
  param: { name: string; node: Node } | undefined;
  ops: Map<string, { op: OperationSpec; handler: Handler }>;
}

const newNode = (): Node => ({ literal: new Map(), param: undefined, ops: new Map() });

export interface RouteMatch {
  op: OperationSpec;
  handler: Handler;
  pathParams: Map<string, string>;
}

export class Router {
  private readonly root = newNode();

  /** `handlers` is keyed `resource.nickname`; every operation except the WebSocket needs one. */
  constructor(handlers: Record<string, Handler>) {
    for (const op of operations) {
      if (op.nickname === 'eventWebsocket') continue;
      const handler = handlers[`${op.resource}.${op.nickname}`];
      if (!handler) throw new Error(`no handler for ${op.resource}.${op.nickname}`);
      let node = this.root;
      for (const seg of op.path.split('/').filter(Boolean)) {
        const m = /^\{(.+)\}$/.exec(seg);
        if (m?.[1]) {
          node.param ??= { name: m[1], node: newNode() };
          node = node.param.node;
        } else {
          let child = node.literal.get(seg);
          if (!child) {
            child = newNode();
            node.literal.set(seg, child);
          }
          node = child;
        }
      }
      node.ops.set(op.httpMethod, { op, handler });
    }
  }

  /** `undefined` when no path matches; `null` when the path exists but not for this method. */
  match(method: string, path: string): RouteMatch | null | undefined {
    const pathParams = new Map<string, string>();
    const segs = path.split('/').filter(Boolean);
    const walk = (node: Node, i: number): Node | undefined => {
      if (i === segs.length) return node;
      const seg = segs[i] ?? '';
      const lit = node.literal.get(seg);
      if (lit) {
        const found = walk(lit, i + 1);
        if (found) return found;
      }
      if (node.param) {
        const found = walk(node.param.node, i + 1);
        if (found) {
          pathParams.set(node.param.name, decodeURIComponent(seg));
          return found;
        }
      }
      return undefined;
    };
    const node = walk(this.root, 0);
    if (!node || node.ops.size === 0) return undefined;
    const entry = node.ops.get(method);
    if (!entry) return null;
    return { ...entry, pathParams };
  }
}

/** Collects and checks the parameters an operation declares. */
export function buildArgs(
  op: OperationSpec,
  pathParams: Map<string, string>,
  query: URLSearchParams,
  body: unknown,
): Args {
  const values = new Map<string, string>(pathParams);
  const bodyValues = new Map<string, unknown>();
  const bodyParams: ParamSpec[] = [];
  for (const param of op.parameters) {
    if (param.paramType === 'query') {
      const all = query.getAll(param.name);
      if (all.length > 0) values.set(param.name, param.allowMultiple ? all.join(',') : (all[0] ?? ''));
    } else if (param.paramType === 'body') {
      bodyParams.push(param);
    }
    if (param.required && param.paramType !== 'body' && !values.has(param.name)) {
      throw badRequest(`Missing required parameter: ${param.name}`);
    }
  }
  if (bodyParams.length > 0 && body !== undefined && body !== null && typeof body === 'object') {
    // ari-client sends a body parameter's value as the whole JSON body (`variables` wrapped in
    // `{variables: ...}`); accept both shapes.
    for (const param of bodyParams) {
      const record = body as Record<string, unknown>;
      const value = bodyParams.length === 1 && !(param.name in record) ? record : record[param.name];
      if (value !== undefined) bodyValues.set(param.name, value);
    }
  }
  return new Args(values, bodyValues);
}
