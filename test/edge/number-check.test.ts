import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NumberCheck, planNumbers } from '../../src/edge/number-check.ts';
import { loadPlan } from '../../src/plan/load.ts';

const root = join(import.meta.dirname, '../..');
const puyang = new NumberCheck(planNumbers(loadPlan(join(root, 'routing-rules/examples/puyang')).plan));
const sichuan = new NumberCheck(planNumbers(loadPlan(join(root, 'routing-rules')).plan));

describe('which numbers the edge lets through', () => {
  it('answers every line of the plan', () => {
    expect(sichuan.answers('12345')).toBe(true);
    expect(sichuan.answers('12396')).toBe(true);
    expect(sichuan.size).toBeGreaterThan(2);
  });

  it('answers a line in every form a caller dials it, as the engine matches it', () => {
    for (const dialed of ['4420000', '03934420000', '0393-4420000', '%2B863934420000', '+863934420000'])
      expect(puyang.answers(dialed), dialed).toBe(true);
  });

  it('refuses numbers no line answers, and users that are no number', () => {
    for (const dialed of ['99999', '03954420000', '', 'alice', '12345;x', '%ZZ'])
      expect(sichuan.answers(dialed), dialed).toBe(false);
  });
});
