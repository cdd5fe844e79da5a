import type { Column } from '../reports/report-columns.ts';
import { formatTable } from '../reports/table-format.ts';
import type { ErlangAResult, ErlangCResult, StaffingTarget } from './erlang.ts';
import type { IntervalStaffing } from './interval.ts';
import type { MergePeriod, TargetLoad } from './merge-load.ts';
import type { ProfileRow } from './profile-staffing.ts';
import type { DayProfile, QueueProfile } from './records-profile.ts';

/**
 * The staffing command's text output: aligned tables with Chinese and English labels (the
 * reports' table formatter, which counts CJK characters as two columns).
 */

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const secs = (s: number) => (Number.isFinite(s) ? `${s.toFixed(1)} s` : '∞');
const round = (n: number) => Math.round(n).toLocaleString('en-US');
const dash = '—';

/** Jilin's norm (吉政办发〔2021〕16号): 15 seats per million people, three agents per seat. */
export const JILIN_NORM = { seatsPerMillion: 15, agentsPerSeat: 3 } as const;

interface ModelRow {
  label: string;
  r: ErlangCResult | ErlangAResult;
}

const modelColumns: Column<ModelRow>[] = [
  { header: '模型 model', value: (m) => m.label, numeric: false },
  { header: '坐席 agents', value: (m) => String(m.r.agents), numeric: true },
  { header: '服务水平 SL', value: (m) => pct(m.r.serviceLevel), numeric: true },
  { header: '需等待 P(wait)', value: (m) => pct(m.r.probWait), numeric: true },
  {
    header: '放弃率 P(abandon)',
    value: (m) => (m.r.model === 'erlang-a' ? pct(m.r.probAbandon) : dash),
    numeric: true,
  },
  { header: '平均应答 ASA', value: (m) => secs(m.r.asaSeconds), numeric: true },
  { header: '占用率 occupancy', value: (m) => pct(m.r.occupancy), numeric: true },
];

function modelRows(s: IntervalStaffing): ModelRow[] {
  const rows: ModelRow[] = [{ label: 'Erlang C', r: s.erlangC }];
  if (s.erlangA) rows.push({ label: `Erlang A (θ=${s.erlangA.patienceSeconds.toFixed(0)} s)`, r: s.erlangA });
  return rows;
}

/** The target as one line. */
export function targetText(t: StaffingTarget): string {
  const abandon = t.maxAbandon !== undefined ? `; 放弃率 abandon ≤ ${pct(t.maxAbandon)} (Erlang A)` : '';
  return `目标 target: ${pct(t.targetServiceLevel)} 在 ${t.withinSeconds} 秒内接通 answered within ${t.withinSeconds} s (of offered calls)${abandon}`;
}

export function formatInterval(
  input: { callsPerHour: number; ahtSeconds: number },
  target: StaffingTarget,
  s: IntervalStaffing,
): string {
  return [
    `话务量 offered: ${input.callsPerHour} 呼叫/小时 calls/h × AHT ${input.ahtSeconds} s = ${s.erlangC.erlangs.toFixed(2)} Erlang`,
    targetText(target),
    '',
    formatTable(modelColumns, modelRows(s)),
  ].join('\n');
}

const hourLabel = (h: number) => `${String(h).padStart(2, '0')}:00`;

const profileColumns: Column<ProfileRow>[] = [
  { header: '时段 hour', value: (r) => hourLabel(r.hour), numeric: false },
  { header: '转人工 offered', value: (r) => String(r.offered), numeric: true },
  { header: 'AHT', value: (r) => (r.offered > 0 ? secs(r.ahtSeconds) : dash), numeric: true },
  {
    header: '实测接通率 answered',
    value: (r) => (r.offered > 0 ? pct(r.measured.answered / r.offered) : dash),
    numeric: true,
  },
  {
    header: '实测服务水平 SL',
    value: (r) =>
      r.offered > 0 && r.measured.answeredWithin !== undefined
        ? pct(r.measured.answeredWithin / r.offered)
        : dash,
    numeric: true,
  },
  {
    header: 'C 坐席 agents',
    value: (r) => (r.staffing ? String(r.staffing.erlangC.agents) : dash),
    numeric: true,
  },
  {
    header: 'C 占用率 occ.',
    value: (r) => (r.staffing && r.offered > 0 ? pct(r.staffing.erlangC.occupancy) : dash),
    numeric: true,
  },
  {
    header: 'A 坐席 agents',
    value: (r) => (r.staffing?.erlangA ? String(r.staffing.erlangA.agents) : dash),
    numeric: true,
  },
  {
    header: 'A 放弃率 P(ab.)',
    value: (r) => (r.staffing?.erlangA && r.offered > 0 ? pct(r.staffing.erlangA.probAbandon) : dash),
    numeric: true,
  },
  {
    header: 'A 平均应答 ASA',
    value: (r) => (r.staffing?.erlangA && r.offered > 0 ? secs(r.staffing.erlangA.asaSeconds) : dash),
    numeric: true,
  },
];

export function formatProfile(
  profile: DayProfile,
  rows: ReadonlyMap<string, ProfileRow[]>,
  names: (queue: string) => string,
  target: StaffingTarget & {
    patienceOverride?: number;
    wrapUpSeconds: number;
    source: string;
    note?: string;
  },
): string {
  const out = [
    `${profile.day} (${profile.timeZone}) 逐小时话务 hourly profile · 数据来源 source: ${target.source}`,
    ...(target.note !== undefined ? [target.note] : []),
    targetText(target),
    `AHT = 平均通话 mean talkSeconds${target.wrapUpSeconds > 0 ? ` + 话后处理 wrap-up ${target.wrapUpSeconds} s` : ''}; 耐心 patience θ = Σ 排队等待 waits / 放弃数 abandons (censored exponential MLE, whole day)`,
    `未进入队列 not queued: ${profile.notQueued}`,
  ];
  for (const q of profile.queues) {
    out.push('', `== ${names(q.queue)} [${q.queue}] ==`, queueSummary(q, target.patienceOverride));
    out.push(
      formatTable(
        profileColumns,
        (rows.get(q.queue) ?? []).filter((r) => r.offered > 0),
      ),
    );
  }
  return out.join('\n');
}

/** Below this many abandons the patience estimate is flagged as uncertain. */
const FEW_ABANDONS = 10;

function queueSummary(q: QueueProfile, override: number | undefined): string {
  const patience =
    override !== undefined
      ? `${override} s (--patience)`
      : q.patience.seconds !== undefined
        ? `${q.patience.seconds.toFixed(1)} s (${q.patience.abandoned} 放弃 abandons / ${round(q.patience.exposureSeconds ?? 0)} s 等待 waited${q.patience.abandoned < FEW_ABANDONS ? '; 样本少 few abandons: uncertain' : ''})`
        : q.patience.exposureSeconds === undefined
          ? `${dash} (汇总无放弃等待 the summary has no waits of abandoned calls: give --patience for Erlang A)`
          : `${dash} (无放弃 no abandons: Erlang A not computed)`;
  return `转人工 offered ${q.offered}; 平均通话 mean talk ${q.meanTalkSeconds !== undefined ? secs(q.meanTalkSeconds) : dash}; 耐心 patience ${patience}`;
}

const queueColumns: Column<TargetLoad>[] = [
  { header: '队列 queue', value: (q) => q.target, numeric: false },
  { header: '名称 name', value: (q) => q.name, numeric: false },
  { header: '日话务 calls/day', value: (q) => round(q.callsPerDay), numeric: true },
  { header: '线路 lines', value: (q) => String(q.lines.length), numeric: true },
  { header: '峰值 peak', value: (q) => hourLabel(q.peak.hour), numeric: false },
  { header: '峰值话务 calls/h', value: (q) => round(q.peak.callsPerHour), numeric: true },
  { header: 'AHT', value: (q) => secs(q.peak.ahtSeconds), numeric: true },
  { header: 'C 坐席 agents', value: (q) => String(q.peak.staffing.erlangC.agents), numeric: true },
  {
    header: 'A 坐席 agents',
    value: (q) => (q.peak.staffing.erlangA ? String(q.peak.staffing.erlangA.agents) : dash),
    numeric: true,
  },
  {
    header: 'A 放弃率 P(ab.)',
    value: (q) => (q.peak.staffing.erlangA ? pct(q.peak.staffing.erlangA.probAbandon) : dash),
    numeric: true,
  },
  { header: 'C 人时 agent-h/day', value: (q) => String(q.agentHoursC), numeric: true },
  {
    header: 'A 人时 agent-h/day',
    value: (q) => (q.agentHoursA !== undefined ? String(q.agentHoursA) : dash),
    numeric: true,
  },
];

const elsewhereColumns: Column<MergePeriod['elsewhere'][number]>[] = [
  { header: '去向 target', value: (e) => e.target, numeric: false },
  { header: '名称 name', value: (e) => e.name, numeric: false },
  { header: '日话务 calls/day', value: (e) => round(e.callsPerDay), numeric: true },
];

function periodLabel(p: MergePeriod): string {
  const span = `${p.from ?? '…'} – ${p.until ?? '…'}`;
  return `${span}${p.transition ? ' 过渡期 transition window' : ''}`;
}

/** Agents needed at the same time at each queue's peak, summed over the queues. */
export function peakAgents(p: MergePeriod): { c: number; a?: number } {
  const c = p.queues.reduce((s, q) => s + q.peak.staffing.erlangC.agents, 0);
  const all = p.queues.every((q) => q.peak.staffing.erlangA || q.peak.callsPerHour === 0);
  return all ? { c, a: p.queues.reduce((s, q) => s + (q.peak.staffing.erlangA?.agents ?? 0), 0) } : { c };
}

const overviewColumns: Column<MergePeriod>[] = [
  { header: '时期 period', value: periodLabel, numeric: false },
  { header: '测算日 day', value: (p) => p.day, numeric: false },
  {
    header: '12345 日话务 calls/day',
    value: (p) => round(p.queues.reduce((s, q) => s + q.callsPerDay, 0)),
    numeric: true,
  },
  {
    header: '其他去向 elsewhere/day',
    value: (p) => round(p.elsewhere.reduce((s, e) => s + e.callsPerDay, 0)),
    numeric: true,
  },
  { header: '峰值坐席 C peak agents', value: (p) => String(peakAgents(p).c), numeric: true },
  {
    header: '峰值坐席 A peak agents',
    value: (p) => {
      const a = peakAgents(p).a;
      return a === undefined ? dash : String(a);
    },
    numeric: true,
  },
];

export function formatMergePlan(
  periods: readonly MergePeriod[],
  info: StaffingTarget & { centerName: string; source: string; populationMillions?: number },
): string {
  const out = [
    `${info.centerName}: 归并各时期话务与坐席 load and agents per merge period`,
    `话务量来源 volumes: ${info.source}`,
    targetText(info),
    `峰值坐席 peak agents = 各队列峰值小时坐席之和 sum of each queue's peak-hour agents`,
  ];
  if (info.populationMillions !== undefined) {
    const seats = Math.ceil(info.populationMillions * JILIN_NORM.seatsPerMillion);
    out.push(
      `吉林标准 Jilin norm (15 席/百万人 seats per million, 3 人/席 agents per seat): ${info.populationMillions} 百万人 → ${seats} 席 seats, ${seats * JILIN_NORM.agentsPerSeat} 人 agents`,
    );
  }
  out.push('', formatTable(overviewColumns, periods));
  for (const p of periods) {
    out.push('', `== ${periodLabel(p)} · 测算日 day ${p.day} ==`);
    out.push(
      `阶段 phases: ${p.phases.map((ph) => `${ph.owner} ${ph.phase}${ph.kind !== ph.phase ? ` (${ph.kind})` : ''} ×${ph.lines.length}`).join('; ') || dash}`,
    );
    for (const c of p.changes) {
      out.push(`变化 change: ${c.lineId} ${c.before.join('+') || dash} → ${c.after.join('+') || dash}`);
    }
    out.push(formatTable(queueColumns, p.queues));
    if (p.elsewhere.length > 0) {
      out.push("其他去向 elsewhere (not 12345's agents):", formatTable(elsewhereColumns, p.elsewhere));
    }
  }
  return out.join('\n');
}
