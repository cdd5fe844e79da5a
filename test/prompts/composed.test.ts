import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { promptContext, spokenPrompts } from '../../src/plan/prompt-context.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';
import { expandPrompt, spokenText } from '../../src/prompts/expand.ts';
import { type PromptEntry, PromptManifest } from '../../src/prompts/manifest.ts';
import { sayDate, sayDigits } from '../../src/prompts/say-number.ts';
import { Harness } from '../calls/core/harness.ts';

const root = join(import.meta.dirname, '../..');
const sichuan = loadPlan(join(root, 'routing-rules')).plan;
const puyang = loadPlan(join(root, 'routing-rules/examples/puyang')).plan;
const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai')!;

const entries = (list: PromptEntry[]) => new Map(list.map((e) => [e.id, e]));

describe('composed prompts', () => {
  const small = entries([
    { id: 'notice', say: ['dialed', '{number}', 'stops', '{until}', 'bye'] },
    { id: 'dialed', text: '您拨打的' },
    { id: 'stops', text: '热线将于' },
    { id: 'bye', text: '起停用。' },
    { id: 'plain', text: '您好。' },
  ]);

  it('play their parts with the number digit by digit (1 as 幺) and the date as 年/月/日', () => {
    expect(
      expandPrompt(small, 'notice', { number: '12301', until: { year: 2021, month: 10, day: 1 } }),
    ).toEqual([
      'dialed',
      'num-yao',
      'num-2',
      'num-3',
      'num-0',
      'num-yao',
      'stops',
      'num-2',
      'num-0',
      'num-2',
      'num-1',
      'date-year',
      'num-10',
      'date-month',
      'num-1',
      'date-day',
      'bye',
    ]);
  });

  it('leave recorded and unknown prompts as they are', () => {
    expect(expandPrompt(small, 'plain', { number: '12345' })).toEqual(['plain']);
    expect(expandPrompt(small, 'nowhere', {})).toEqual(['nowhere']);
  });

  it('read numbers and dates with the fragments of the manifest', () => {
    expect(sayDigits('4420000')).toEqual(['num-4', 'num-4', 'num-2', 'num-0', 'num-0', 'num-0', 'num-0']);
    expect(sayDate({ year: 2021, month: 11, day: 16 })).toEqual([
      'num-2',
      'num-0',
      'num-2',
      'num-1',
      'date-year',
      'num-10',
      'num-1',
      'date-month',
      'num-10',
      'num-6',
      'date-day',
    ]);
    expect(() => sayDate({ year: 2021, month: 13, day: 1 })).toThrow(RangeError);
    expect(() => sayDigits('12-3')).toThrow(RangeError);
  });

  it('take the dialed line and the day its phase ends, in the plan time zone', () => {
    expect(promptContext(sichuan, 'l12396', 'transition')).toEqual({
      number: '12396',
      until: { year: 2021, month: 10, day: 1 },
    });
    expect(promptContext(sichuan, 'l12396', 'deregistered')).toEqual({ number: '12396' });
    expect(promptContext(puyang, 'l4420000', 'transition')).toEqual({
      number: '4420000',
      until: { year: 2021, month: 11, day: 1 },
    });
  });

  it('are spoken in full: the Sichuan transition notice names the number and the day it stops', () => {
    const spoken = spokenPrompts(sichuan, { lineId: 'l12396', phaseId: 'transition' }, [
      'transition-whole-merge',
    ]);
    expect(spoken.text).toBe(
      '您拨打的幺二三九六热线已并入12345热线，本号码将于二零二一年十月一日起停用，今后请拨打12345。现在为您转接人工服务。',
    );
    const sum = spoken.played.reduce((ms, id) => ms + sichuan.prompts.get(id)!.durationMs!, 0);
    expect(spoken.durationMs).toBe(sum);
    expect(spokenText(sichuan.prompts, ['nowhere'])).toBe('[nowhere]');
  });

  it('show in explain: the deregistered notice flows into the 12345 welcome', () => {
    const e = explain(sichuan, { number: '12300', atMs: at('2021-10-02T09:00:00') });
    expect(e.prompts).toEqual(['deregistered-notice', 'welcome-12345']);
    expect(e.spoken).toEqual(spokenPrompts(sichuan, { lineId: e.line.id, phaseId: e.phase.id }, e.prompts));
    expect(e.spoken.text).toBe(
      '您拨打的幺二三零零热线号码已停用，今后请拨打12345。现在为您接通12345热线。' +
        '您好，欢迎致电12345政务服务便民热线。',
    );
  });

  it('are played part by part by the call session and recorded once under their own id', () => {
    const h = new Harness(sichuan, '12396', '2021-07-01T10:00:00');
    h.playAll();
    expect(h.played()).toEqual(
      spokenPrompts(sichuan, { lineId: 'l12396', phaseId: 'transition' }, ['transition-whole-merge']).played,
    );
    expect(h.state.prompts).toEqual(['transition-whole-merge']);
    expect(h.state.queue).toMatchObject({ id: 'general' });
  });

  it('may not carry text or audio of their own, and need text or parts', () => {
    const bad = PromptManifest.safeParse({
      prompts: [{ id: 'a', say: ['b'], file: 'a.wav' }, { id: 'b' }, { id: 'c', say: ['{date}'] }],
    });
    expect(bad.success).toBe(false);
    const issues = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual([
      'prompts.0.file: a composed prompt (`say`) has no text or audio of its own: its parts have',
      'prompts.1.text: is required (or `say` for a composed prompt)',
      'prompts.2.say.0: must be a prompt id or a parameter ({number}, {until})',
    ]);
  });
});
