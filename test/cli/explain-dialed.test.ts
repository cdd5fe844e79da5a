import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainCommand } from '../../src/cli/explain.ts';

const root = join(import.meta.dirname, '../..');
const puyang = join(root, 'routing-rules/examples/puyang');

function run(...args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = explainCommand(args, { out: (t) => (out += t), err: (t) => (err += t) }, () =>
    Date.UTC(2026, 10, 30),
  );
  return { code, out, err };
}

describe('hotline explain with numbers as people dial them', () => {
  it('reads 0393-4420000 in Puyang as its 4420000 line and says so', () => {
    const r = run('--rules', puyang, '--number', '0393-4420000', '--at', '2026-11-30T10:00');
    expect(r.code).toBe(0);
    const x = JSON.parse(r.out);
    expect(x.line.id).toBe('l4420000');
    expect(x.reasons[0]).toBe('dialed 0393-4420000 → 4420000 (separators removed, area code 0393 removed)');
  });

  it('refuses a number with letters with exit 2', () => {
    const r = run('--rules', puyang, '--number', '44200OO', '--at', '2026-11-30T10:00');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--number: "44200OO": a phone number/);
  });
});
