import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { minimalPlan, removePlan, writePlan } from '../support/rules-fixture.ts';

const root = join(import.meta.dirname, '../..');
const unused = (dir: string) =>
  loadPlan(dir)
    .warnings.filter((w) => w.message.includes('is not played in this plan'))
    .map((w) => `${w.file.split('/').pop()}:${w.path}: ${w.message.split(':')[0]}`);

function problemsOf(dir: string): string[] {
  try {
    loadPlan(dir);
  } catch (err) {
    if (err instanceof RulesInvalidError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

const manifest = (extra: string) => ({
  'prompts/manifest.yaml': minimalPlan['prompts/manifest.yaml'] + extra,
});

let dir: string | undefined;
afterEach(() => {
  if (dir) removePlan(dir);
  dir = undefined;
});

describe('validate and the prompt manifest', () => {
  it('warns about a prompt no rule plays, at its manifest entry', () => {
    dir = writePlan(manifest('  - { id: forgotten, text: 没人播放 }\n'));
    expect(unused(dir)).toEqual([
      'manifest.yaml:prompts[5]: prompt "forgotten" is not played in this plan (center "test")',
    ]);
  });

  it('reports a prompt written for other plans only in those plans', () => {
    dir = writePlan({
      'prompts/manifest.yaml': `prompts:
  - { id: welcome, text: 欢迎致电12345 }
  - { id: notice, text: 过渡期提示 }
  - { id: gone, text: 号码已注销 }
  - { id: pick, text: 请选择, centers: [elsewhere] }
  - { id: wrong, text: 输入有误, centers: [elsewhere, test] }
`,
    });
    expect(unused(dir)).toEqual([
      'manifest.yaml:prompts[4]: prompt "wrong" is not played in this plan (center "test")',
    ]);
  });

  it('does not report what the engine plays by itself, nor the parts of a composed prompt', () => {
    dir = writePlan({
      'prompts/manifest.yaml': `prompts:
  - { id: welcome, text: 欢迎致电12345 }
  - { id: notice, text: 过渡期提示 }
  - { id: gone, text: 号码已停用 }
  - { id: queue-hold, text: 请稍候 }
  - { id: ticket-created, text: 我们将给您回电 }
  - { id: num-7, text: 七 }
  - { id: ticket-not-found, text: 未查询到该工单 }
  - { id: never, say: [part] }
  - { id: part, text: 一部分 }
`,
    });
    expect(unused(dir)).toEqual([
      'manifest.yaml:prompts[7]: prompt "never" is not played in this plan (center "test")',
    ]);
  });

  it('counts the parts and parameters of a composed prompt as played with it', () => {
    dir = writePlan({
      'prompts/manifest.yaml': `prompts:
  - { id: welcome, text: 欢迎致电12345 }
  - { id: notice, say: [dialed, "{number}", stops, "{until}"] }
  - { id: dialed, text: 您拨打的 }
  - { id: stops, text: 热线将于以下日期停用 }
  - { id: gone, text: 号码已停用 }
  - { id: num-yao, text: 幺 }
  - { id: date-year, text: 年 }
`,
    });
    expect(unused(dir)).toEqual([]);
  });

  it('refuses a composed prompt whose part is missing or itself composed', () => {
    dir = writePlan({
      'prompts/manifest.yaml': `prompts:
  - { id: welcome, text: 欢迎致电12345 }
  - { id: notice, say: [missing, gone] }
  - { id: gone, say: [welcome] }
`,
    });
    expect(problemsOf(dir)).toEqual([
      'prompts[1].say[0]: prompt "missing" is not in the prompt manifest',
      'prompts[1].say[1]: "gone" is itself composed; a composed prompt says recorded prompts only',
    ]);
  });

  it('refuses a prompt saying {until} outside the route of a phase that ends', () => {
    dir = writePlan({
      'prompts/manifest.yaml': `prompts:
  - { id: welcome, say: [stops, "{until}"] }
  - { id: notice, say: [stops, "{until}"] }
  - { id: gone, say: [stops, "{until}"] }
  - { id: stops, text: 本号码将于 }
`,
    });
    // welcome: the main line's own route; gone: the deregistered phase, which has no end
    expect(problemsOf(dir)).toEqual([
      'lines[0].route.prompts[0]: prompt "welcome" says {until} (the day the phase ends), so only the route of a phase with `until` may play it',
      'lines[1].phases[2].route.prompts[0]: prompt "gone" says {until} (the day the phase ends), so only the route of a phase with `until` may play it',
    ]);
  });

  it('finds no unused prompt in the three shipped plans', () => {
    for (const plan of ['routing-rules', 'routing-rules/examples/puyang', 'routing-rules/examples/jilin']) {
      expect(unused(join(root, plan)), plan).toEqual([]);
    }
  });
});
