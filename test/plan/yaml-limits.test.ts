import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { outsideRoots, promptRootsOf, shippedPromptsDir } from '../../src/plan/load.ts';
import { documentExceeds, textExceeds, yamlLimits } from '../../src/plan/yaml-limits.ts';
import { root } from '../support/engine-harness.ts';

/** Every YAML file the project ships: rules, examples, the prompt manifest. */
function shippedYaml(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return shippedYaml(path);
    return /\.ya?ml$/.test(e.name) ? [path] : [];
  });
}

describe('YAML bounds', () => {
  const files = [...shippedYaml(join(root, 'routing-rules')), join(root, 'ivr-prompts/manifest.yaml')];

  it('leave every shipped rules file and the prompt manifest within every bound', () => {
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(Buffer.byteLength(text), file).toBeLessThanOrEqual(yamlLimits.maxBytes);
      expect(textExceeds(text, yamlLimits), file).toBeUndefined();
      expect(documentExceeds(parseDocument(text), yamlLimits), file).toBeUndefined();
    }
  });

  it('do not count brackets, dashes or stars inside quotes and comments', () => {
    const text = `a: "${'['.repeat(100)}" # ${'{'.repeat(100)}\nb: '${'*x '.repeat(200)}'\nc: "${'- '.repeat(100)}"\n`;
    expect(textExceeds(text, yamlLimits)).toBeUndefined();
  });

  it('count what aliases add once per alias, not once per path to it', () => {
    // 50 aliases of a 100-value list: 5,000 values added, within the bound.
    const list = Array.from({ length: 99 }, (_, i) => i).join(', ');
    const ok = `a: &a [${list}]\nb: [${Array(50).fill('*a').join(', ')}]\n`;
    expect(documentExceeds(parseDocument(ok), yamlLimits)).toBeUndefined();
    const tooMuch = `a: &a [${list}]\nb: &b [${Array(50).fill('*a').join(', ')}]\nc: [${Array(50).fill('*b').join(', ')}]\n`;
    expect(documentExceeds(parseDocument(tooMuch), yamlLimits)?.limit).toBe('nodes');
  });
});

describe('where a prompt manifest may be', () => {
  const rules = join(root, 'routing-rules');
  const roots = promptRootsOf([rules]);

  it('is the rules folder, the ivr-prompts folder beside it, or the shipped ivr-prompts', () => {
    expect(roots).toContain(rules);
    expect(roots).toContain(shippedPromptsDir);
    expect(outsideRoots('../ivr-prompts/manifest.yaml', join(root, 'ivr-prompts/manifest.yaml'), roots)).toBe(
      undefined,
    );
    expect(outsideRoots('own/manifest.yaml', join(rules, 'own/manifest.yaml'), roots)).toBeUndefined();
  });

  it('is never an absolute path, nor a relative one leading elsewhere', () => {
    expect(outsideRoots('/etc/shadow', '/etc/shadow', roots)).toMatch(/absolute paths are refused/);
    expect(outsideRoots('../../etc/passwd', join(rules, '../../etc/passwd'), roots)).toMatch(/leads outside/);
    expect(outsideRoots('../package.json', join(root, 'package.json'), roots)).toMatch(/leads outside/);
  });
});
