import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The house rules of the source tree (README, "Layout"), checked on the code's own imports:
 * the core imports no adapter, capabilities never call each other, the core reads time only
 * from the clock, no import circles in the core, and no file over 300 lines in src/calls.
 */

const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');

interface Source {
  /** Path from the repository root, `src/...`. */
  path: string;
  text: string;
  /** Relative imports resolved to `src/...` paths, with whether the import is type-only. */
  local: { path: string; typeOnly: boolean }[];
  /** Bare package imports (`ioredis`, `node:fs`, …). */
  packages: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return walk(p);
    return d.name.endsWith('.ts') ? [p] : [];
  });
}

const importPattern =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function read(file: string): Source {
  const text = readFileSync(file, 'utf8');
  const local: Source['local'] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(importPattern)) {
    const spec = m[3] ?? m[4]!;
    const typeOnly = m[2] !== undefined;
    if (spec.startsWith('.')) {
      local.push({ path: relative(root, resolve(dirname(file), spec)), typeOnly });
    } else packages.push(spec);
  }
  return { path: relative(root, file), text, local, packages };
}

const sources = walk(src).map(read);
const byPath = new Map(sources.map((s) => [s.path, s]));
const under = (dir: string) => sources.filter((s) => s.path.startsWith(`${dir}/`));

/** Packages that make a file an adapter: the core must not import them. */
const adapterPackages = [
  'ari-client',
  'ioredis',
  'fastify',
  'asterisk-manager',
  'drachtio-srf',
  'pg',
  'postgres',
  'ws',
  'undici',
];
const isAdapterPackage = (p: string) =>
  adapterPackages.some((a) => p === a || p.startsWith(`${a}/`) || p.startsWith('@fastify/'));

/** The pure core: plan, the call session, the ACD outside its stores. */
const core = [...under('src/plan'), ...under('src/calls/core'), ...under('src/acd')].filter(
  (s) => !s.path.startsWith('src/acd/store/'),
);

/** Folders of adapters and runtime the core must not reach into. */
const edges = [
  'src/calls/runtime/',
  'src/telephony/ari/',
  'src/telephony/ami/',
  'src/sim/',
  'src/api/',
  'src/web/',
  'src/cli/',
  'src/sessions/',
  'src/records/sinks/',
  'src/acd/store/redis',
  'src/app.ts',
];

describe('the core', () => {
  it('has files to check (the walk found the tree)', () => {
    expect(core.length).toBeGreaterThan(20);
    expect(byPath.has('src/calls/core/session.ts')).toBe(true);
  });

  it('imports no adapter package', () => {
    const found = core.flatMap((s) => s.packages.filter(isAdapterPackage).map((p) => `${s.path} → ${p}`));
    expect(found).toEqual([]);
  });

  it('imports nothing from the runtime, the adapters or the wiring', () => {
    const found = core.flatMap((s) =>
      s.local.filter((i) => edges.some((e) => i.path.startsWith(e))).map((i) => `${s.path} → ${i.path}`),
    );
    expect(found).toEqual([]);
  });

  it('reads time only from the clock it is given', () => {
    // The loader is the plan's edge: it reads files and, unless told the time, checks dates against now.
    const allowed = new Set(['src/plan/load.ts']);
    const wallClock = /\b(Date\.now|performance\.now|setTimeout|setInterval|setImmediate)\s*\(/;
    const found = [...core, ...under('src/calls/runtime')]
      .filter((s) => !allowed.has(s.path) && wallClock.test(s.text))
      .map((s) => `${s.path}: ${wallClock.exec(s.text)![0]}`);
    expect(found).toEqual([]);
  });
});

describe('the call session', () => {
  const capabilities = under('src/calls/core/capabilities');

  it('has capabilities that never import each other (only the playlist, which queues prompts)', () => {
    const found = capabilities.flatMap((s) =>
      s.local
        .filter(
          (i) =>
            i.path.startsWith('src/calls/core/capabilities/') &&
            i.path !== 'src/calls/core/capabilities/playlist.ts',
        )
        .map((i) => `${s.path} → ${i.path}`),
    );
    expect(capabilities.length).toBeGreaterThan(3);
    expect(found).toEqual([]);
  });

  it('runs capabilities only from the router', () => {
    const found = sources
      .filter(
        (s) => s.path !== 'src/calls/core/session.ts' && !s.path.startsWith('src/calls/core/capabilities/'),
      )
      .flatMap((s) =>
        s.local
          .filter((i) => i.path.startsWith('src/calls/core/capabilities/') && !i.typeOnly)
          .map((i) => `${s.path} → ${i.path}`),
      );
    expect(found).toEqual([]);
  });

  it('keeps every file in src/calls under 300 lines', () => {
    const long = under('src/calls')
      .map((s) => ({ path: s.path, lines: s.text.split('\n').length }))
      .filter((f) => f.lines > 300)
      .map((f) => `${f.path}: ${f.lines} lines`);
    expect(long).toEqual([]);
  });
});

/** Import circles among `files` (type-only imports included: a circle of types is a circle of ideas). */
function circles(files: Source[]): string[][] {
  const inSet = new Set(files.map((f) => f.path));
  const edgesOf = (p: string) =>
    (byPath.get(p)?.local ?? []).filter((i) => inSet.has(i.path)).map((i) => i.path);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (p: string) => {
    state.set(p, 'open');
    stack.push(p);
    for (const q of edgesOf(p)) {
      if (state.get(q) === 'open') found.push(stack.slice(stack.indexOf(q)));
      else if (!state.has(q)) visit(q);
    }
    stack.pop();
    state.set(p, 'done');
  };
  for (const f of files) if (!state.has(f.path)) visit(f.path);
  return found;
}

describe('import circles', () => {
  it('finds a circle when there is one (the check itself works)', () => {
    const a: Source = {
      path: 'x/a.ts',
      text: '',
      packages: [],
      local: [{ path: 'x/b.ts', typeOnly: false }],
    };
    const b: Source = {
      path: 'x/b.ts',
      text: '',
      packages: [],
      local: [{ path: 'x/a.ts', typeOnly: false }],
    };
    byPath.set(a.path, a);
    byPath.set(b.path, b);
    try {
      expect(circles([a, b])).toEqual([['x/a.ts', 'x/b.ts']]);
    } finally {
      byPath.delete(a.path);
      byPath.delete(b.path);
    }
  });

  it('has none in the core, the runtime or the records', () => {
    const files = [
      ...core,
      ...under('src/calls/runtime'),
      ...under('src/records'),
      ...under('src/telephony'),
    ];
    expect(circles(files)).toEqual([]);
  });
});
