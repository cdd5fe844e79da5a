import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RoutingPlan } from '../plan/compile.ts';
import { displayPath, parseYamlFile } from '../plan/load.ts';
import { type RuleProblem, RulesInvalidError } from '../plan/problems.ts';
import { KnowledgeFile, type StandardAnswer } from './schema.ts';

/** Where a rules folder keeps its knowledge base (a sub-folder: the rules loader does not read it). */
export const knowledgeFileOf = (rulesDir: string) => join(rulesDir, 'knowledge', 'standard-answers.yaml');

export interface KnowledgeBase {
  file: string;
  answers: readonly StandardAnswer[];
}

/**
 * Loads the knowledge base: the YAML checked against its schema, then its line ids and topics
 * against the plan's lines (an answer for a line or topic no call can have is a mistake). Throws
 * RulesInvalidError whose problems name the file and the path (`answers[3].topics[1]`).
 */
export function loadKnowledgeBase(path: string, plan?: RoutingPlan): KnowledgeBase {
  const file = displayPath(path);
  const problems: RuleProblem[] = [];
  if (!existsSync(path)) throw new RulesInvalidError([{ file, path: '', message: 'no such file' }]);
  const parsed = parseYamlFile(path, file, KnowledgeFile, problems);
  if (!parsed || problems.length > 0) throw new RulesInvalidError(problems);
  if (plan) {
    const lines = new Set(plan.lines.keys());
    const topics = new Set([...plan.lines.values()].map((l) => l.topic));
    parsed.answers.forEach((a, i) => {
      a.lines?.forEach((id, j) => {
        if (!lines.has(id))
          problems.push({ file, path: `answers[${i}].lines[${j}]`, message: `no line "${id}" in the rules` });
      });
      a.topics?.forEach((t, j) => {
        if (!topics.has(t))
          problems.push({
            file,
            path: `answers[${i}].topics[${j}]`,
            message: `no line has the topic "${t}"`,
          });
      });
    });
    if (problems.length > 0) throw new RulesInvalidError(problems);
  }
  return { file, answers: parsed.answers };
}
