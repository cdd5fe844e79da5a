import type { HeatCell, ReportDimension, ReportRow, TransferRow } from './report.ts';

/**
 * The columns of each report as people read them (CSV for Excel, the terminal table): a Chinese
 * header, the value as text, and whether it is a figure (aligned right). Rates are percentages
 * with one decimal, times seconds with one decimal, the survey mean two decimals: what a 12345
 * center's monthly report states.
 */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
  numeric: boolean;
}

export const percent = (r: number) => `${(r * 100).toFixed(1)}%`;
const oneDecimal = (n: number) => n.toFixed(1);
const count = (n: number) => String(n);

/** The key column's header for each split. */
export const dimensionHeaders: Record<ReportDimension, string> = {
  line: '号码线路',
  department: '部门',
  queue: '队列',
  agent: '坐席',
  phase: '阶段',
  all: '范围',
};

/** 星期一 … 星期日 (1 = Monday). */
export const weekdayNames = ['星期一', '星期二', '星期三', '星期四', '星期五', '星期六', '星期日'];

/** `all` reads 全部 in a table. */
const keyText = (key: string) => (key === 'all' ? '全部' : key);

export function summaryColumns(by: ReportDimension): Column<ReportRow>[] {
  return [
    { header: '时段', value: (r) => r.period, numeric: false },
    { header: dimensionHeaders[by], value: (r) => keyText(r.key), numeric: false },
    { header: '来电量', value: (r) => count(r.calls), numeric: true },
    { header: '转人工', value: (r) => count(r.offered), numeric: true },
    { header: '接通', value: (r) => count(r.answered), numeric: true },
    { header: '接通率', value: (r) => percent(r.answerRate), numeric: true },
    { header: '15秒服务水平', value: (r) => percent(r.serviceLevel15s), numeric: true },
    { header: '15秒服务水平(自来电)', value: (r) => percent(r.serviceLevel15sFromArrival), numeric: true },
    { header: '平均应答时长(秒)', value: (r) => oneDecimal(r.asaSeconds), numeric: true },
    { header: '放弃', value: (r) => count(r.abandoned), numeric: true },
    { header: '放弃率', value: (r) => percent(r.abandonRate), numeric: true },
    { header: '平均通话时长(秒)', value: (r) => oneDecimal(r.avgTalkSeconds), numeric: true },
    { header: '评价数', value: (r) => count(r.surveyCount), numeric: true },
    { header: '满意度', value: (r) => (r.surveyCount > 0 ? r.surveyAverage.toFixed(2) : '—'), numeric: true },
  ];
}

/** Transfer target kinds as the pages name them. */
export const targetKindNames: Record<string, string> = {
  subcenter: '分中心',
  emergency: '紧急热线',
  center: '其他热线',
  expert: '专家座席',
  agent: '坐席',
  directory: '通讯录',
};

/** Transfer modes in Chinese. */
export const transferModeNames: Record<string, string> = {
  'three-way': '三方通话',
  consult: '咨询转接',
  blind: '直接转接',
  ivr: '语音导航转接',
  ticket: '派单',
};

export const transferColumns: Column<TransferRow>[] = [
  { header: '时段', value: (r) => r.period, numeric: false },
  { header: '转接类型', value: (r) => targetKindNames[r.targetKind] ?? r.targetKind, numeric: false },
  { header: '转接目标', value: (r) => r.targetId, numeric: false },
  { header: '方式', value: (r) => transferModeNames[r.mode] ?? r.mode, numeric: false },
  { header: '转接', value: (r) => count(r.transfers), numeric: true },
  { header: '转接成功', value: (r) => count(r.reached), numeric: true },
  {
    header: '转接成功率',
    value: (r) => (r.transfers > 0 ? percent(r.reached / r.transfers) : '—'),
    numeric: true,
  },
];

export const heatmapColumns: Column<HeatCell>[] = [
  { header: '星期', value: (c) => weekdayNames[c.weekday - 1] ?? String(c.weekday), numeric: false },
  { header: '小时', value: (c) => `${String(c.hour).padStart(2, '0')}:00`, numeric: false },
  { header: '转人工', value: (c) => count(c.offered), numeric: true },
  { header: '接通', value: (c) => count(c.answered), numeric: true },
  { header: '接通率', value: (c) => (c.offered > 0 ? percent(c.answered / c.offered) : '—'), numeric: true },
];

/** The rows as text cells under their headers. */
export function cells<T>(columns: readonly Column<T>[], rows: readonly T[]): string[][] {
  return rows.map((row) => columns.map((c) => c.value(row)));
}
