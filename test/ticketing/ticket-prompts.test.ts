import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';
import { ticketPrompts } from '../../src/ticketing/ticket-status.ts';

describe('the ticket status read-outs', () => {
  it('use prompts that every shipped plan has, with the same text', () => {
    for (const dir of ['routing-rules', 'routing-rules/examples/puyang', 'routing-rules/examples/jilin']) {
      const { plan } = loadPlan(join(import.meta.dirname, '../..', dir));
      for (const [id, text] of Object.entries(ticketPrompts)) {
        expect(plan.prompts.get(id)?.text, `${dir}: ${id}`).toBe(text);
        expect(plan.prompts.get(id)?.file, `${dir}: ${id} has audio`).toBe(`${id}.wav`);
      }
      for (let n = 0; n <= 10; n++) expect(plan.prompts.has(`num-${n}`)).toBe(true);
    }
  });
});
