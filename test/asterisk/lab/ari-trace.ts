/**
 * The engine's ARI traffic as Asterisk itself logged it (`ari set debug all on`, written to the
 * console the lab captures): requests, responses and events in order, one JSON object each.
 * Credentials (the Authorization header) are left out.
 */
export type AriTraceEntry =
  | {
      kind: 'request';
      peer: string;
      method: string;
      path: string;
      query: Record<string, string>;
      body?: unknown;
    }
  | { kind: 'response'; peer: string; status: number; body?: unknown }
  | { kind: 'event'; event: Record<string, unknown> };

const MARKER = /^<--- (ARI request received from:|Sending ARI response to|Sending ARI event to) (\S+) --->$/;
const HEADERS = new Set([
  'authorization',
  'host',
  'connection',
  'accept',
  'accept-language',
  'accept-encoding',
  'sec-fetch-mode',
  'user-agent',
  'content-type',
  'content-length',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
]);

function parseBody(lines: string[]): unknown {
  const text = lines.join('\n').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function parseAriDebug(console: string): AriTraceEntry[] {
  const out: AriTraceEntry[] = [];
  // Asterisk's own verbose lines ("    -- Channel …") may be written between a block's lines.
  const lines = console.split('\n').filter((l) => !/^\s+-- /.test(l) && !/^\s*== /.test(l));
  let i = 0;
  while (i < lines.length) {
    const m = MARKER.exec(lines[i]!);
    i++;
    if (!m) continue;
    const block: string[] = [];
    while (i < lines.length && !lines[i]!.startsWith('<--- ')) block.push(lines[i++]!);
    const [kind, peer] = [m[1]!, m[2]!];
    if (kind.startsWith('ARI request')) {
      const [method = '', path = ''] = (block[0] ?? '').split(' ');
      const query: Record<string, string> = {};
      let j = 1;
      for (; j < block.length && block[j] !== 'body:'; j++) {
        const kv = /^([^:]+): ?(.*)$/.exec(block[j]!);
        if (kv && !HEADERS.has(kv[1]!.toLowerCase())) query[kv[1]!] = kv[2]!;
      }
      const body = parseBody(block.slice(j + 1));
      out.push({
        kind: 'request',
        peer,
        method,
        path: `/${path}`,
        query,
        ...(body === undefined ? {} : { body }),
      });
    } else if (kind.startsWith('Sending ARI response')) {
      const status = Number((block[0] ?? '').split(' ')[0]);
      const rest = block.slice(1).filter((l) => !/^Content-type:/i.test(l));
      const body = parseBody(rest);
      out.push({ kind: 'response', peer, status, ...(body === undefined ? {} : { body }) });
    } else {
      const event = parseBody(block);
      if (event && typeof event === 'object')
        out.push({ kind: 'event', event: event as Record<string, unknown> });
    }
  }
  return out;
}
