import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answersFor } from '../../src/knowledge/answers.ts';
import { knowledgeFileOf, loadKnowledgeBase } from '../../src/knowledge/load.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { root } from '../support/engine-harness.ts';

const rulesDir = join(root, 'routing-rules');
const plan = loadPlan(rulesDir).plan;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Writes a knowledge-base file and loads it against the Sichuan plan: the problems it gives. */
function problemsOf(yaml: string): { file: string; path: string; message: string }[] {
  dir = mkdtempSync(join(tmpdir(), 'hotline-kb-'));
  mkdirSync(join(dir, 'knowledge'));
  const file = knowledgeFileOf(dir);
  writeFileSync(file, yaml);
  try {
    loadKnowledgeBase(file, plan);
  } catch (err) {
    expect(err).toBeInstanceOf(RulesInvalidError);
    return [...(err as RulesInvalidError).problems];
  }
  return [];
}

const answer = (extra: string) =>
  `answers:\n  - id: a1\n    title: 标题\n    text: 答复\n    source: 文件\n${extra}`;

describe('the shipped knowledge base', () => {
  it('loads with the Sichuan rules, every answer Chinese and sourced', () => {
    const kb = loadKnowledgeBase(knowledgeFileOf(rulesDir), plan);
    expect(kb.answers.length).toBeGreaterThanOrEqual(8);
    for (const a of kb.answers) {
      expect(a.text).toMatch(/[\u4e00-\u9fff]/);
      expect(a.source.length).toBeGreaterThan(0);
    }
  });

  it("gives a 12366 call the tax sub-center's answer first, then the answers for every call", () => {
    const kb = loadKnowledgeBase(knowledgeFileOf(rulesDir), plan);
    const ids = answersFor(kb.answers, { lineId: 'l12366', topic: 'tax' }).map((a) => a.id);
    expect(ids).toEqual(['subcenter-tax', 'service-scope', 'emergency-linkage']);
    expect(
      answersFor(kb.answers, { lineId: 'l12333', topic: 'hr-social-security' }).map((a) => a.id),
    ).toEqual(['dual-number', 'expert-seat', 'service-scope', 'emergency-linkage']);
    const transition = answersFor(kb.answers, { lineId: 'l12396', topic: 'science' })[0]!;
    expect(transition.text).toContain('过渡期');
    expect(answersFor(kb.answers, { lineId: 'hotline-12345', topic: 'general' }, 1).map((a) => a.id)).toEqual(
      ['service-scope'],
    );
  });
});

describe('a knowledge base with mistakes', () => {
  it('names the file and the path of a field the schema refuses', () => {
    const problems = problemsOf('answers:\n  - id: a1\n    title: 标题\n    source: 文件\n    extra: 1\n');
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['answers[0].text']));
    expect(problems[0]!.file).toMatch(/knowledge[/\\]standard-answers\.yaml$/);
  });

  it('refuses a line or a topic the rules do not have, naming where', () => {
    const problems = problemsOf(answer('    lines: [l12366, l99999]\n    topics: [tax, weather]\n'));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'answers[0].lines[1]', message: 'no line "l99999" in the rules' }),
      expect.objectContaining({ path: 'answers[0].topics[1]', message: 'no line has the topic "weather"' }),
    ]);
  });

  it('refuses an id used twice', () => {
    const problems = problemsOf(
      `${answer('')}  - id: a1\n    title: 又一条\n    text: 答复\n    source: 文件\n`,
    );
    expect(problems).toEqual([
      expect.objectContaining({ path: 'answers[1].id', message: '"a1" is used twice' }),
    ]);
  });

  it('reports broken YAML and a missing file with the file named', () => {
    expect(problemsOf('answers: [\n')[0]!.file).toMatch(/standard-answers\.yaml$/);
    expect(() => loadKnowledgeBase(join(tmpdir(), 'no-such-kb.yaml'))).toThrow(RulesInvalidError);
  });
});
