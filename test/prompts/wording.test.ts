import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';

const root = join(import.meta.dirname, '../..');
const { plan } = loadPlan(join(root, 'routing-rules'));
const texts = [...plan.prompts.values()]
  .filter((p) => p.text !== undefined)
  .map((p) => [p.id, p.text!] as const);

describe('the shipped prompt texts, as callers hear them', () => {
  it('use no office terms a caller would not understand', () => {
    for (const [id, text] of texts) expect(text, id).not.toMatch(/整体并入|注销|座席|来电人|双号并行|分中心/);
  });

  it('ask callers to hold with 请勿挂机, never 请不要挂机', () => {
    for (const [id, text] of texts) expect(text, id).not.toContain('请不要挂机');
    expect(plan.prompts.get('emergency-connecting')?.text).toContain('请勿挂机');
  });

  it('promise a call-back, not a work order the caller never described, when no agent is reached', () => {
    const text = plan.prompts.get('ticket-created')?.text;
    expect(text).toContain('回电');
    expect(text).not.toMatch(/工单/);
  });

  it('hand a deregistered number over to 12345, whose welcome follows, instead of promising an agent', () => {
    const last = plan.prompts.get('deregistered-notice-a')?.text;
    expect(last).toMatch(/现在为您接通12345热线。$/);
    expect(last).not.toContain('人工服务');
    expect(plan.prompts.get('deregistered-notice')?.say).toEqual([
      'you-dialed',
      '{number}',
      'deregistered-notice-a',
    ]);
  });
});
