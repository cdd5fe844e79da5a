import type { RawRules } from '../raw-rules.ts';
import { OWN, parseRef, type Ref } from '../ref.ts';
import type { Add, CheckContext, RouteSite } from './context.ts';

/** Edges of the reference graph: node (`menu:main`, `line:l1`, …) → nodes its routes lead to. */
export type RouteEdges = Map<string, Set<string>>;

/**
 * Every collected route: its prompts exist and its target resolves (`expert:*`/`subcenter:*`/`department:*` only
 * where a line's own number gives it a meaning). Returns the reference graph, lines → groups included.
 */
export function checkRoutes(ctx: CheckContext): RouteEdges {
  const edges: RouteEdges = new Map();
  const link = (from: string, to: string) => {
    const out = edges.get(from) ?? new Set<string>();
    out.add(to);
    edges.set(from, out);
  };
  for (const site of ctx.sites) {
    const to = checkRoute(ctx, site);
    if (to !== undefined) link(site.from, to);
  }
  for (const [from, to] of ctx.lineEdges) link(from, to);
  return edges;
}

/** Checks one route; returns the node it leads to, or undefined when it leads nowhere known. */
function checkRoute(ctx: CheckContext, site: RouteSite): string | undefined {
  site.route.prompts.forEach((p, i) => {
    ctx.checkPrompt(site, `prompts[${i}]`, p);
  });
  const ref = parseRef(site.route.goto);
  if (typeof ref === 'string') return undefined; // reported by the schema
  if (ref.id === OWN) return checkOwn(ctx, site, ref);
  const exists = refExists(ctx, ref);
  if (exists !== true) {
    ctx.add(site, 'goto', exists);
    return undefined;
  }
  return `${ref.kind}:${ref.id}`;
}

function checkOwn(ctx: CheckContext, site: RouteSite, ref: Ref): string | undefined {
  const { raw, add } = ctx;
  if (!site.ownLines) {
    add(
      site,
      'goto',
      `"${ref.kind}:*" stands for the line's own ${ref.kind} and can only be used in a line's or group's phases`,
    );
    return undefined;
  }
  const table =
    ref.kind === 'expert' ? raw.experts : ref.kind === 'subcenter' ? raw.subcenters : raw.departments;
  for (const line of site.ownLines) {
    if (!table.some((t) => t.value.number === line.value.number))
      add(
        site,
        'goto',
        `"${ref.kind}:*" needs a ${ref.kind} with number ${line.value.number} for line "${line.value.id}" (${line.file}:${line.path})`,
      );
  }
  return `${ref.kind}:*`;
}

function refExists({ raw, ids, promptExists }: CheckContext, ref: Ref): true | string {
  switch (ref.kind) {
    case 'ticket':
      return true;
    case 'announcement':
      return promptExists(ref.id)
        ? true
        : `prompt "${ref.id}" is not in the prompt manifest (${raw.manifestFile})`;
    default: {
      const table = ids[ref.kind as keyof typeof ids] as Map<string, unknown> | undefined;
      if (!table?.has(ref.id)) return `no ${ref.kind} "${ref.id}"`;
      if (ref.kind === 'self-service') {
        const s = raw.selfService.find((x) => x.value.id === ref.id);
        if (s?.value.kind === 'survey') return `self-service "${ref.id}" is a post-call survey, not a route`;
      }
      return true;
    }
  }
}

/** Menus are reachable from a line; no menu, answer or line reference loops without a way out. */
export function checkGraph(raw: RawRules, edges: RouteEdges, add: Add): void {
  const reached = reachedFromLines(raw, edges);
  for (const m of raw.menus) {
    if (!reached.has(`menu:${m.value.id}`))
      add(m, '', `menu "${m.value.id}" is never reached from any line (unreachable menu)`);
  }
  const hasExit = exitFinder(edges);
  for (const m of raw.menus) {
    const n = `menu:${m.value.id}`;
    if (reached.has(n) && !hasExit(n, new Set()))
      add(m, '', `menu "${m.value.id}" has no way out: every option and its default lead back into menus`);
  }
  // Line references must not form a cycle (a deregistered number pointing at itself…).
  for (const l of raw.lines) {
    if (lineCycle(edges, `line:${l.value.id}`))
      add(
        l,
        '',
        `line "${l.value.id}" refers back to itself through "line:" routes (a loop with no way out)`,
      );
  }
}

function reachedFromLines(raw: RawRules, edges: RouteEdges): Set<string> {
  const isNode = (n: string) => /^(menu|answer|self-service|line|group|pool|expert|subcenter):/.test(n);
  const reached = new Set<string>();
  const stack = raw.lines.map((l) => `line:${l.value.id}`);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (reached.has(n)) continue;
    reached.add(n);
    for (const e of edges.get(n) ?? []) if (isNode(e)) stack.push(e);
  }
  return reached;
}

/** A way out: some path leads to a terminal target (not a menu/answer/self-service/line). */
function exitFinder(edges: RouteEdges): (n: string, path: Set<string>) => boolean {
  const exitMemo = new Map<string, boolean>();
  const hasExit = (n: string, path: Set<string>): boolean => {
    if (!/^(menu|answer|self-service|line|group):/.test(n)) return true;
    const memo = exitMemo.get(n);
    if (memo !== undefined) return memo;
    if (path.has(n)) return false;
    path.add(n);
    let ok = false;
    for (const e of edges.get(n) ?? []) {
      if (hasExit(e, path)) {
        ok = true;
        break;
      }
    }
    path.delete(n);
    exitMemo.set(n, ok);
    return ok;
  };
  return hasExit;
}

function lineCycle(edges: RouteEdges, start: string): boolean {
  const seen = new Set<string>();
  const walk = (n: string): boolean => {
    for (const e of edges.get(n) ?? []) {
      if (!e.startsWith('line:') && !e.startsWith('group:')) continue;
      if (e === start) return true;
      if (seen.has(e)) continue;
      seen.add(e);
      if (walk(e)) return true;
    }
    return false;
  };
  return walk(start);
}
