import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRulesFolder } from '../../src/admin/draft.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { type AdminRig, rulesDir, startAdminRig } from '../admin/admin-rig.ts';

let a: AdminRig;
const shipped = readRulesFolder(rulesDir);
const routes = ['/rules/validate', '/rules/explain', '/rules/publish'] as const;

beforeAll(async () => {
  a = await startAdminRig();
});
afterAll(async () => {
  await a.close();
});

const center = (prompts = '../ivr-prompts/manifest.yaml') =>
  `center:\n  id: sichuan\n  name: x\n  timezone: Asia/Shanghai\n  prompts: ${prompts}\n  fallback: { goto: ticket }\n`;

/** Billion laughs: each level a list naming the level before it `width` times. */
function laughs(levels: number, width: number): string {
  let text = 'lines:\n  - &l0 { id: lol, number: "12345" }\n';
  for (let i = 1; i <= levels; i++) {
    text += `  - &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]\n`;
  }
  return text;
}

/** One invalid line with many invalid phases, anchored, then named by `aliases` aliases. */
function invalidAliased(aliases: number, phases: number): string {
  const bad = Array.from({ length: phases }, (_, i) => `{ id: "p ${i}", kind: bogus, from: x }`).join(', ');
  return `lines:\n  - &b { id: "bad id", number: nope, phases: [${bad}] }\n${'  - *b\n'.repeat(aliases)}`;
}

function send(url: string, files: Record<string, string>) {
  const payload =
    url === '/rules/explain'
      ? { number: '12345', files }
      : url === '/rules/publish'
        ? { files, message: 'x' }
        : { files };
  return a.as('admin', { method: 'POST', url, payload });
}

/** A draft of the shipped rules with one file added (the hostile one). */
const withFile = (name: string, text: string) => ({ ...shipped, [name]: text });

describe('hostile drafts through the rules API', () => {
  const refusals: { name: string; files: Record<string, string>; limit: string | readonly string[] }[] = [
    { name: 'a billion-laughs alias bomb', files: withFile('bomb.yaml', laughs(9, 9)), limit: 'nodes' },
    { name: 'a thousand aliases', files: withFile('bomb.yaml', invalidAliased(1000, 2)), limit: 'aliases' },
    {
      name: 'invalid items named by aliases that expand past the bound',
      files: withFile('bomb.yaml', invalidAliased(90, 400)),
      limit: 'nodes',
    },
    {
      name: 'a flow list nested 10,000 deep',
      files: withFile('deep.yaml', `lines: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`),
      limit: 'depth',
    },
    {
      name: 'a flow mapping nested 10,000 deep',
      files: withFile('deep.yaml', `lines: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`),
      limit: 'depth',
    },
    {
      name: 'compact lists nested 10,000 deep',
      files: withFile('deep.yaml', `lines:\n  ${'- '.repeat(10_000)}x\n`),
      limit: 'depth',
    },
    {
      name: 'block mappings nested 100 deep',
      files: withFile(
        'deep.yaml',
        Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
      ),
      limit: 'depth',
    },
    {
      name: 'an alias inside the value it names',
      files: withFile('loop.yaml', 'lines: &a [1, [2, *a]]\n'),
      limit: ['depth', 'nodes'],
    },
    {
      name: 'a 100,000-character key',
      files: withFile('keys.yaml', `? ${'k'.repeat(100_000)}\n: 1\n`),
      limit: 'key-length',
    },
  ];

  for (const { name, files, limit } of refusals) {
    it(`refuses ${name} with 422 naming the limit, on every draft route`, async () => {
      for (const url of routes) {
        const res = await send(url, files);
        expect(res.statusCode, `${url} ${res.body.slice(0, 300)}`).toBe(422);
        const body = res.json();
        expect(body.error).toBe('draft-too-complex');
        expect(([] as string[]).concat(limit)).toContain(body.limit);
        expect(res.body.length).toBeLessThan(20_000);
      }
      // Nothing was published.
      expect((await a.as('admin', { method: 'GET', url: '/rules' })).json().version).toBe(1);
    }, 60_000);
  }

  it('answers 413 naming the limit for a file over 1 MiB, and for a body over 8 MiB', async () => {
    const big = await send('/rules/validate', withFile('big.yaml', `# ${'x'.repeat(1024 * 1024)}\n`));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'draft-too-large', limit: 'file-size' });
    expect(big.json().message).toContain('big.yaml');
    const files = Object.fromEntries(
      Array.from({ length: 9 }, (_, i) => [`f${i}.yaml`, `# ${'x'.repeat(1000 * 1000)}\n`]),
    );
    const huge = await send('/rules/validate', files);
    expect(huge.statusCode).toBe(413);
  });

  it('reports at most 200 problems of a thousand invalid items, and says how many more there were', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => `  - { id: "bad ${i}", number: nope${i} }`).join(
      '\n',
    );
    const res = await send('/rules/validate', withFile('many.yaml', `lines:\n${items}\n`));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.valid).toBe(false);
    expect(body.problems.length).toBeLessThanOrEqual(201);
    expect(body.problems.some((p: { message: string }) => /and \d+ more problems/.test(p.message))).toBe(
      true,
    );
  });

  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n')[0]?.split(':')[0] ?? 'root';
  for (const path of [
    '/etc/shadow',
    '/etc/passwd',
    '../../../../etc/passwd',
    '../routing-rules/../../../../../etc/hosts',
  ]) {
    it(`refuses center.prompts: ${path} naming center.prompts, never showing the file`, async () => {
      for (const url of routes) {
        const files = {
          ...shipped,
          'center.yaml': (shipped['center.yaml'] as string).replace(/prompts: \S+/, `prompts: ${path}`),
        };
        const res = await send(url, files);
        expect(res.statusCode, res.body.slice(0, 300)).toBe(url === '/rules/validate' ? 200 : 422);
        const problems = res.json().problems as { file: string; path: string; message: string }[];
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatchObject({ file: 'center.yaml', path: 'center.prompts' });
        expect(problems[0]?.message).toMatch(/absolute paths are refused|leads outside/);
        expect(res.body).not.toContain(`${passwd}:`);
        expect(res.body).not.toContain('localhost');
      }
    });
  }

  it('never answers 5xx to generated nesting, aliases and keys, and the heap stays bounded', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const piece = fc.oneof(
      fc.constantFrom(
        '[',
        ']',
        '{',
        '}',
        '- ',
        '*a',
        '&a ',
        '*b',
        '&b ',
        ': ',
        ', ',
        '\n',
        '  ',
        '? ',
        'x',
        '"',
        "'",
      ),
      fc.string({ maxLength: 8 }),
    );
    const yaml = fc.tuple(
      fc.array(piece, { maxLength: 60 }),
      fc.integer({ min: 1, max: 2000 }),
      fc.constantFrom('lines', 'menus', 'center', 'pools'),
    );
    await fc.assert(
      fc.asyncProperty(yaml, fc.constantFrom(...routes), async ([pieces, repeat, section], url) => {
        const text = `${section}: ${pieces.join('').repeat(Math.ceil(repeat / Math.max(1, pieces.length)))}\n`;
        const res = await send(url, withFile('gen.yaml', text));
        expect(res.statusCode, `${url} ${res.body.slice(0, 300)}`).toBeLessThan(500);
        expect([200, 201, 422]).toContain(res.statusCode);
        if (res.statusCode === 422 && res.json().error === 'draft-too-complex')
          expect(res.json().limit).toBeTruthy();
      }),
      { numRuns: 60, seed: 16 },
    );
    const grown = process.memoryUsage().heapUsed - heapBefore;
    expect(grown).toBeLessThan(256 * 1024 * 1024);
  }, 120_000);
});

describe('rules folders loaded from disk', () => {
  const dirs: string[] = [];
  const folder = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-bombs-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const problemsOf = (dir: string) => {
    try {
      loadPlan(dir);
    } catch (err) {
      if (err instanceof RulesInvalidError) return err.problems;
      throw err;
    }
    throw new Error('the folder loaded');
  };

  it('refuses an alias bomb in a rules file as a FILE:PATH problem naming the limit', () => {
    const dir = folder({ 'center.yaml': center(), 'lines.yaml': laughs(9, 9) });
    const problems = problemsOf(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: expect.stringMatching(/lines\.yaml$/), path: '' });
    expect(problems[0]?.message).toMatch(/expand to more than/);
  });

  it('refuses deep nesting in a rules file without overflowing the stack', () => {
    const dir = folder({
      'center.yaml': center(),
      'lines.yaml': `lines: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
    });
    expect(problemsOf(dir)[0]?.message).toMatch(/nested deeper than 64 levels/);
  });

  it('refuses a prompt manifest reached through a symbolic link leading out of the rules folder', () => {
    const outside = folder({ 'manifest.yaml': 'prompts:\n  - { id: hi, text: secret-text }\n' });
    const dir = folder({ 'center.yaml': center('linked/manifest.yaml') });
    symlinkSync(outside, join(dir, 'linked'));
    const problems = problemsOf(dir);
    expect(problems).toEqual([
      expect.objectContaining({ file: expect.stringMatching(/center\.yaml$/), path: 'center.prompts' }),
    ]);
    expect(JSON.stringify(problems)).not.toContain('secret-text');
  });

  it('loads a manifest inside the rules folder, and the shipped ivr-prompts/ from a copied folder', () => {
    const own = folder({ 'center.yaml': center('p/manifest.yaml') });
    mkdirSync(join(own, 'p'));
    writeFileSync(join(own, 'p/manifest.yaml'), 'prompts:\n  - { id: hi, text: 你好 }\n');
    const lines =
      'lines:\n  - { id: main, number: "12345", name: x, mode: main, department: x, topic: x, route: { goto: ticket } }\n';
    writeFileSync(join(own, 'lines.yaml'), lines);
    expect(loadPlan(own).plan.lines.size).toBe(1);
    // A copy of the shipped rules elsewhere: `../ivr-prompts/manifest.yaml` is the project's own.
    const copy = folder(readRulesFolder(rulesDir));
    expect(loadPlan(copy).plan.center.id).toBe('sichuan');
  });
});
