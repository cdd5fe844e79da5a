/**
 * Compile time of the shipped rules as a draft: on the main thread (compileFiles) and in the draft
 * worker pool (DraftPool: structured clone back included), then how long a YAML alias bomb blocks
 * the main thread either way. Run: node --import tsx scripts/bench-drafts.ts
 */
import { join } from 'node:path';
import { compileFiles, readRulesFolder } from '../src/admin/draft.ts';
import { DraftPool } from '../src/admin/draft-pool.ts';

const root = join(import.meta.dirname, '..');
const rulesDir = join(root, 'routing-rules');
const files = readRulesFolder(rulesDir);
const runs = Number(process.env.RUNS ?? 20);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** The longest gap between ticks of a 1 ms timer while `work` runs: how long the main thread was blocked. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  await work();
  clearInterval(timer);
  return Math.max(longest, performance.now() - last);
}

/** An alias bomb: each level is a list naming the level before it `width` times. */
function aliasBomb(levels: number, width: number): string {
  let text =
    'center:\n  id: x\n  name: x\n  timezone: Asia/Shanghai\n  prompts: ../ivr-prompts/manifest.yaml\n';
  text += 'lines:\n  - &l0 { id: bad, number: nope }\n';
  for (let i = 1; i <= levels; i++) {
    text += `  - &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]\n`;
  }
  return text;
}

const main: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const r = compileFiles(files, [rulesDir]);
  if (!r.ok) throw new Error('the shipped rules do not compile');
  main.push(performance.now() - t);
}

const pool = new DraftPool();
const startAt = performance.now();
const startStall = await longestStall(() => pool.compile({ files, bases: [rulesDir], now: Date.now() }));
const firstMs = performance.now() - startAt;
const worker: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const r = await pool.compile({ files, bases: [rulesDir], now: Date.now() });
  if (!r.ok) throw new Error('the shipped rules do not compile in the worker');
  worker.push(performance.now() - t);
}

const bomb = { 'lines.yaml': aliasBomb(9, 9) };
const bombMain = await longestStall(async () => compileFiles(bomb, [rulesDir]));
const bombWorker = await longestStall(() =>
  pool.compile({ files: bomb, bases: [rulesDir], now: Date.now() }),
);
await pool.close();

const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(`shipped rules (${Object.keys(files).length} files), ${runs} runs each:`);
console.log(`  main thread     median ${ms(median(main))}`);
console.log(
  `  worker pool     median ${ms(median(worker))} (first, with the worker's start: ${ms(firstMs)})`,
);
console.log(`  longest main-thread stall while the worker started: ${ms(startStall)}`);
console.log(`alias bomb (${bomb['lines.yaml'].length} bytes): longest main-thread stall`);
console.log(`  main thread     ${ms(bombMain)}`);
console.log(`  worker pool     ${ms(bombWorker)}`);
