import type { Column } from '../reports/report-columns.ts';
import { formatTable } from '../reports/table-format.ts';
import type { LineRow, PoolRow, RunTotals, TargetKind, TargetRow, WhatIfComparison } from './comparison.ts';

/**
 * The side-by-side as text for a terminal: 现行规则 (live) next to 草案 (draft) for the day's
 * totals, per pool and expert seat, per target and per line. Rates in percent, times in seconds.
 */

const DASH = '—';
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? DASH : `${(v * 100).toFixed(1)}%`;
const sec = (v: number | null | undefined) => (v === null || v === undefined ? DASH : v.toFixed(1));
const num = (v: number | null | undefined) => (v === null || v === undefined ? DASH : String(v));

const targetKindNames: Record<TargetKind, string> = {
  pool: '坐席池',
  expert: '专家座席',
  subcenter: '分中心',
  department: '部门原号码',
  emergency: '紧急热线',
  center: '其他中心',
  ticket: '工单',
  announcement: '语音播报',
};

interface TotalRow {
  label: string;
  live: string;
  draft: string;
}

function totalRows(c: WhatIfComparison): TotalRow[] {
  const row = (label: string, f: (t: RunTotals) => string): TotalRow => ({
    label,
    live: f(c.totals.live),
    draft: f(c.totals.draft),
  });
  return [
    row('来电量', (t) => num(t.calls)),
    row('人工接通', (t) => num(t.answered)),
    row('转接至外部号码', (t) => num(t.dialled)),
    row('排队放弃', (t) => num(t.abandoned)),
    row('转为工单', (t) => num(t.ticketed)),
    row(`${c.serviceLevelSeconds}秒服务水平`, (t) => pct(t.serviceLevel)),
    row('平均应答时长(秒)', (t) => sec(t.asaSeconds)),
    row('放弃率', (t) => pct(t.abandonRate)),
  ];
}

const totalColumns: Column<TotalRow>[] = [
  { header: '指标', value: (r) => r.label, numeric: false },
  { header: '现行规则', value: (r) => r.live, numeric: true },
  { header: '草案', value: (r) => r.draft, numeric: true },
];

function pair<R extends { live: F | null; draft: F | null }, F>(
  header: string,
  f: (x: F) => string,
): Column<R>[] {
  return [
    { header: `${header}·现行`, value: (r) => (r.live ? f(r.live) : DASH), numeric: true },
    { header: `${header}·草案`, value: (r) => (r.draft ? f(r.draft) : DASH), numeric: true },
  ];
}

type Q = NonNullable<PoolRow['live']>;
const poolColumns: Column<PoolRow>[] = [
  { header: '队列', value: (r) => `${r.kind === 'pool' ? '坐席池' : '专家座席'} ${r.name}`, numeric: false },
  { header: '座席', value: (r) => num((r.live ?? r.draft)?.agents), numeric: true },
  ...pair<PoolRow, Q>('进入', (f) => num(f.offered)),
  ...pair<PoolRow, Q>('服务水平', (f) => pct(f.serviceLevel)),
  ...pair<PoolRow, Q>('ASA秒', (f) => sec(f.asaSeconds)),
  ...pair<PoolRow, Q>('放弃率', (f) => pct(f.abandonRate)),
  ...pair<PoolRow, Q>('溢出', (f) => num(f.overflowed)),
  ...pair<PoolRow, Q>('占用率', (f) => pct(f.occupancy)),
];

const targetColumns: Column<TargetRow>[] = [
  { header: '去向', value: (r) => `${targetKindNames[r.kind]} ${r.id}`, numeric: false },
  { header: '现行规则', value: (r) => num(r.live), numeric: true },
  { header: '草案', value: (r) => num(r.draft), numeric: true },
  {
    header: '差',
    value: (r) => (r.draft - r.live > 0 ? `+${r.draft - r.live}` : String(r.draft - r.live)),
    numeric: true,
  },
];

type L = NonNullable<LineRow['live']>;
const lineColumns: Column<LineRow>[] = [
  { header: '线路', value: (r) => `${r.number} ${r.name}`, numeric: false },
  { header: '来电', value: (r) => num((r.live ?? r.draft)?.calls), numeric: true },
  ...pair<LineRow, L>('到人工均时秒', (f) => sec(f.timeToPersonMeanSeconds)),
  ...pair<LineRow, L>('P90秒', (f) => sec(f.timeToPersonP90Seconds)),
  ...pair<LineRow, L>('放弃', (f) => num(f.abandoned)),
];

/** The whole side-by-side, for `hotline whatif`. */
export function sideBySideText(c: WhatIfComparison, title: string): string {
  const pools = c.pools.filter(
    (p) => (p.live?.offered ?? 0) + (p.draft?.offered ?? 0) > 0 || p.kind === 'pool',
  );
  const lines = c.lines.filter((l) => (l.live?.calls ?? 0) > 0);
  return [
    title,
    `${c.date}，${c.calls} 通来电（${c.traffic === 'records' ? '通话记录' : '话务模型'}），种子 ${c.seed}`,
    `座席 ${c.agents.count} 人：${c.agents.note}`,
    '',
    '总体',
    formatTable(totalColumns, totalRows(c)),
    '',
    '坐席池与专家座席',
    formatTable(poolColumns, pools),
    '',
    '各去向来电数（首个去向）',
    formatTable(targetColumns, c.targets),
    '',
    '各线路到人工时间',
    formatTable(lineColumns, lines),
  ].join('\n');
}
