// The rules page's 试算 (what-if): the draft and the live rules each replay one day of traffic
// (POST /rules/whatif), shown side by side per pool, per line and per target, the differences
// marked better or worse, with echarts bars of each pool's service level and abandonment.
import { $, ApiError, api, el, percent } from './common.js';

const kindNames = {
  pool: '坐席池',
  expert: '专家座席',
  subcenter: '分中心',
  department: '部门原号码',
  emergency: '紧急热线',
  center: '其他热线中心',
  ticket: '转工单',
  announcement: '语音播报',
};

const LIVE = '现行规则';
const DRAFT = '草案';

/** Seconds with one decimal under a minute, else minutes and seconds. */
function secs(s) {
  if (s === null || s === undefined) return '—';
  if (s < 60) return `${s.toFixed(1)}秒`;
  const n = Math.round(s);
  return `${Math.floor(n / 60)}分${n % 60}秒`;
}

const count = (n) => (n === null || n === undefined ? '—' : String(n));

/**
 * The figures shown, each with how to read it: `better` says which way is better (`up`, `down`,
 * or none when a change is neither, as the calls a queue gets or its occupancy).
 */
const poolColumns = [
  { key: 'offered', label: '呼入量', format: count },
  { key: 'serviceLevel', label: null, format: percent, better: 'up' },
  { key: 'asaSeconds', label: '平均应答时长', format: secs, better: 'down' },
  { key: 'abandonRate', label: '放弃率', format: percent, better: 'down' },
  { key: 'occupancy', label: '占用率', format: percent },
  { key: 'overflowed', label: '溢出', format: count },
  { key: 'ticketed', label: '超时转工单', format: count, better: 'down' },
];

const lineColumns = [
  { key: 'calls', label: '来电', format: count },
  { key: 'reachedPerson', label: '接通人工', format: count, better: 'up' },
  { key: 'timeToPersonMeanSeconds', label: '人工接通时长（平均）', format: secs, better: 'down' },
  { key: 'timeToPersonP90Seconds', label: '人工接通时长（90%）', format: secs, better: 'down' },
  { key: 'abandoned', label: '放弃', format: count, better: 'down' },
  { key: 'ticketed', label: '转工单', format: count, better: 'down' },
];

/** `better`, `worse` or `changed` for the draft's value against the live one; '' when alike. */
function compare(live, draft, better) {
  if (live === null || live === undefined || draft === null || draft === undefined) {
    return live === draft ? '' : 'changed';
  }
  const a = Number(live);
  const b = Number(draft);
  if (Math.abs(a - b) < 1e-9) return '';
  if (!better) return 'changed';
  return (better === 'up' ? b > a : b < a) ? 'better' : 'worse';
}

const markNames = { better: '（改善）', worse: '（变差）', changed: '' };

/** The two cells of one figure: the live value, then the draft's marked better or worse. */
function pairCells(live, draft, column) {
  const a = live ? live[column.key] : undefined;
  const b = draft ? draft[column.key] : undefined;
  const mark = live && draft ? compare(a, b, column.better) : '';
  return [
    el('td', { class: 'num live', 'data-key': column.key }, live ? column.format(a) : '（无）'),
    el(
      'td',
      { class: `num draft ${mark}`, 'data-key': column.key, 'data-mark': mark || undefined },
      draft ? column.format(b) : '（无）',
      mark && markNames[mark] ? el('span', { class: 'whatif-mark' }, markNames[mark]) : null,
    ),
  ];
}

/** A table of rows with a side-by-side pair (现行规则 | 草案) for each column. */
function sideBySide(head, columns, rows, slSeconds) {
  const label = (c) => c.label ?? `${slSeconds}秒服务水平`;
  return el(
    'table',
    { class: 'whatif-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...head.map((h) => el('th', { rowspan: 2 }, h)),
        ...columns.map((c) => el('th', { colspan: 2, class: 'group', 'data-key': c.key }, label(c))),
      ),
      el(
        'tr',
        {},
        ...columns.flatMap(() => [
          el('th', { class: 'num live' }, LIVE),
          el('th', { class: 'num draft' }, DRAFT),
        ]),
      ),
    ),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          { 'data-id': r.id },
          ...r.head.map((h) => el('td', {}, h)),
          ...columns.flatMap((c) => pairCells(r.live, r.draft, c)),
        ),
      ),
    ),
  );
}

function totalsTable(r) {
  const columns = [
    { key: 'calls', label: '来电', format: count },
    { key: 'answered', label: '人工接通', format: count, better: 'up' },
    { key: 'serviceLevel', label: null, format: percent, better: 'up' },
    { key: 'asaSeconds', label: '平均应答时长', format: secs, better: 'down' },
    { key: 'abandonRate', label: '放弃率', format: percent, better: 'down' },
    { key: 'ticketed', label: '转工单', format: count, better: 'down' },
    { key: 'dialled', label: '转接出中心', format: count },
  ];
  return sideBySide(
    ['范围'],
    columns,
    [{ id: 'totals', head: ['全部来电'], live: r.totals.live, draft: r.totals.draft }],
    r.serviceLevelSeconds,
  );
}

/** Where the calls went first, per target: live, draft and the change. */
function targetsTable(r) {
  const names = new Map(r.pools.map((p) => [`${p.kind}:${p.id}`, p.name]));
  return el(
    'table',
    { class: 'whatif-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, '去向'),
        el('th', {}, '类型'),
        el('th', { class: 'num live' }, LIVE),
        el('th', { class: 'num draft' }, DRAFT),
        el('th', { class: 'num' }, '变化'),
      ),
    ),
    el(
      'tbody',
      {},
      ...r.targets.map((t) => {
        const delta = t.draft - t.live;
        return el(
          'tr',
          { 'data-id': `${t.kind}:${t.id}` },
          el('td', {}, t.name ?? names.get(`${t.kind}:${t.id}`) ?? t.id),
          el('td', {}, kindNames[t.kind] ?? t.kind),
          el('td', { class: 'num live' }, String(t.live)),
          el('td', { class: `num draft ${delta ? 'changed' : ''}` }, String(t.draft)),
          el('td', { class: 'num' }, delta > 0 ? `+${delta}` : String(delta)),
        );
      }),
    ),
  );
}

function summaryOf(r, asked) {
  const source = r.traffic === 'records' ? '本服务近期的通话记录' : '按现行规则各号码生成的模拟话务';
  const agents =
    r.agents.source === 'roster'
      ? `坐席 ${r.agents.count} 人（当前坐席名册，假定全天在线）`
      : `坐席 ${r.agents.count} 人（未取得名册，按现行规则高峰时段话务用 Erlang C 配置）`;
  const fallback =
    asked === 'recent' && r.traffic !== 'records' ? '。没有可回放的通话记录，改用模拟话务' : '';
  return `回放 ${r.date} 一天的 ${r.calls} 通来电（${source}），分别按线上版本 v${r.liveVersion}（${LIVE}）和${DRAFT}处理；${agents}${fallback}。`;
}

/** Bars of one figure per queue, the live rules beside the draft. */
function barChart(box, rows, key, title) {
  const charts = globalThis.echarts;
  if (!charts || !box) return;
  const chart = charts.getInstanceByDom(box) ?? charts.init(box, null, { renderer: 'canvas' });
  if (!box.dataset.observed) {
    new ResizeObserver(() => chart.resize()).observe(box);
    box.dataset.observed = 'yes';
  }
  const pct = (f) => (f && f[key] !== null ? Math.round(f[key] * 1000) / 10 : null);
  chart.setOption(
    {
      animation: false,
      title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
      textStyle: { fontFamily: 'Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif' },
      color: ['#66768a', '#0b5cad'],
      legend: { top: 24 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null ? '—' : `${v}%`) },
      grid: { left: 48, right: 16, top: 64, bottom: 72 },
      xAxis: {
        type: 'category',
        data: rows.map((p) => p.name),
        axisLabel: { interval: 0, rotate: rows.length > 3 ? 30 : 0, fontSize: 11 },
      },
      yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
      series: [
        { name: LIVE, type: 'bar', data: rows.map((p) => pct(p.live)) },
        { name: DRAFT, type: 'bar', data: rows.map((p) => pct(p.draft)) },
      ],
    },
    true,
  );
  box.dataset.bars = String(rows.length);
}

/** Shows one comparison. */
export function renderWhatIf(r, asked) {
  $('#whatif-summary').textContent = summaryOf(r, asked);
  $('#whatif-totals').replaceChildren(totalsTable(r));
  // Queues that got calls in either run (a plan's expert seat nobody dialled says nothing).
  const busy = r.pools.filter((p) => (p.live?.offered ?? 0) > 0 || (p.draft?.offered ?? 0) > 0);
  const queueRow = (p) => ({
    id: `${p.kind}:${p.id}`,
    head: [p.name, kindNames[p.kind], p.live?.agents ?? p.draft?.agents ?? 0],
    live: p.live,
    draft: p.draft,
  });
  $('#whatif-pools').replaceChildren(
    sideBySide(['坐席池 / 专家座席', '类型', '坐席'], poolColumns, busy.map(queueRow), r.serviceLevelSeconds),
  );
  const lines = r.lines.filter((l) => (l.live?.calls ?? 0) > 0 || (l.draft?.calls ?? 0) > 0);
  $('#whatif-lines').replaceChildren(
    sideBySide(
      ['号码', '名称'],
      lineColumns,
      lines.map((l) => ({ id: l.id, head: [l.number, l.name], live: l.live, draft: l.draft })),
      r.serviceLevelSeconds,
    ),
  );
  $('#whatif-targets').replaceChildren(targetsTable(r));
  $('#whatif-result').hidden = false;
  barChart($('#whatif-sl-chart'), busy, 'serviceLevel', `各坐席池${r.serviceLevelSeconds}秒服务水平`);
  barChart($('#whatif-abandon-chart'), busy, 'abandonRate', '各坐席池放弃率');
}

/** The refusal in Chinese where the page knows it; the service's words otherwise. */
export function whatIfError(err) {
  if (!(err instanceof ApiError)) return undefined;
  const code = err.body?.error;
  if (code === 'whatif-in-progress') return '已有一个试算正在进行（同一时间只运行一个），请稍后再试';
  if (code === 'whatif-too-large') return `试算超出限制：${err.message}。请减少来电数后再试`;
  if (code === 'rules-invalid')
    return `草案有 ${err.body.problems?.length ?? 0} 个问题，无法试算（见草稿中的标注）`;
  return undefined;
}

/**
 * Runs a what-if of `files`: the button and the form are disabled and a progress line shows
 * while both rule sets replay the day (seconds); then the comparison. Returns the API's answer.
 */
export async function runWhatIf(files) {
  const traffic = $('#whatif-traffic').value;
  const body = { files, traffic };
  const date = $('#whatif-date').value;
  if (date) body.date = date;
  const calls = Number($('#whatif-calls').value);
  if (calls > 0) body.calls = calls;
  const busy = $('#whatif-progress');
  const controls = ['#whatif', '#whatif-traffic', '#whatif-date', '#whatif-calls'].map((s) => $(s));
  busy.hidden = false;
  for (const c of controls) c.disabled = true;
  try {
    const r = await api('POST', '/rules/whatif', body);
    renderWhatIf(r, traffic);
    return r;
  } finally {
    busy.hidden = true;
    for (const c of controls) c.disabled = false;
  }
}
