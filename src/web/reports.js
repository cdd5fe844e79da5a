import { $, ApiError, api, describeError, el, onAuthLost, percent, status, token } from './common.js';

// 统计报表: the reports of the records database (GET /reports/summary, /heatmap, /transfers) for
// a range of days, by hour, day or month and by line, department, queue, agent or phase: totals,
// a trend chart, the table, a heat map of weekday × hour and the transfers. The CSV files come
// through the API with the page's token in the Authorization header (never in a URL): fetched,
// then saved from a blob: address.

token();

const dimensionNames = {
  all: '范围',
  line: '号码线路',
  department: '部门',
  queue: '队列',
  agent: '坐席',
  phase: '阶段',
};
const weekdays = ['星期一', '星期二', '星期三', '星期四', '星期五', '星期六', '星期日'];
const targetKinds = {
  subcenter: '分中心',
  emergency: '紧急热线',
  center: '其他热线',
  expert: '专家座席',
  agent: '坐席',
  directory: '通讯录',
};
const modes = {
  'three-way': '三方通话',
  consult: '咨询转接',
  blind: '直接转接',
  ivr: '语音导航转接',
  ticket: '派单',
};

const oneDecimal = (n) => (Math.round(n * 10) / 10).toFixed(1);

/** The same columns as the CSV file (src/reports/report-columns.ts); keys by their names when known. */
function summaryColumns(by, names = {}) {
  return [
    { header: '时段', value: (r) => r.period },
    { header: dimensionNames[by] ?? by, value: (r) => (r.key === 'all' ? '全部' : (names[r.key] ?? r.key)) },
    { header: '来电量', value: (r) => r.calls, num: true },
    { header: '转人工', value: (r) => r.offered, num: true },
    { header: '接通', value: (r) => r.answered, num: true },
    { header: '接通率', value: (r) => percent(r.answerRate), num: true },
    { header: '15秒服务水平', value: (r) => percent(r.serviceLevel15s), num: true },
    { header: '15秒服务水平(自来电)', value: (r) => percent(r.serviceLevel15sFromArrival), num: true },
    { header: '平均应答时长(秒)', value: (r) => oneDecimal(r.asaSeconds), num: true },
    { header: '放弃', value: (r) => r.abandoned, num: true },
    { header: '放弃率', value: (r) => percent(r.abandonRate), num: true },
    { header: '平均通话时长(秒)', value: (r) => oneDecimal(r.avgTalkSeconds), num: true },
    { header: '评价数', value: (r) => r.surveyCount, num: true },
    { header: '满意度', value: (r) => (r.surveyCount > 0 ? r.surveyAverage.toFixed(2) : '—'), num: true },
  ];
}

/** Today in Asia/Shanghai, `YYYY-MM-DD`. */
function shanghaiDay(ms) {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
}

function query(extra = {}) {
  const q = new URLSearchParams({ from: $('#from').value, to: $('#to').value, ...extra });
  return q.toString();
}

/** The totals of the rows: counts summed, rates over the sums, means weighted by what they average. */
function totals(rows) {
  const sum = (f) => rows.reduce((n, r) => n + f(r), 0);
  const offered = sum((r) => r.offered);
  const answered = sum((r) => r.answered);
  const surveys = sum((r) => r.surveyCount);
  const over = (n, d) => (d > 0 ? n / d : null);
  return {
    calls: sum((r) => r.calls),
    offered,
    answered,
    answerRate: over(answered, offered),
    serviceLevel: over(
      sum((r) => r.serviceLevel15s * r.offered),
      offered,
    ),
    abandonRate: over(
      sum((r) => r.abandoned),
      offered,
    ),
    asa: over(
      sum((r) => r.asaSeconds * r.answered),
      answered,
    ),
    talk: over(
      sum((r) => r.avgTalkSeconds * r.answered),
      answered,
    ),
    survey: over(
      sum((r) => r.surveyAverage * r.surveyCount),
      surveys,
    ),
  };
}

function tile(label, value, note) {
  return el(
    'div',
    { class: 'kpi', 'data-kpi': label },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, value),
    note ? el('div', { class: 'target' }, note) : null,
  );
}

function renderTotals(rows) {
  const t = totals(rows);
  const secs = (s) => (s === null ? '—' : `${oneDecimal(s)}秒`);
  $('#totals').replaceChildren(
    tile('来电量', t.calls, `转人工 ${t.offered}`),
    tile('接通率', percent(t.answerRate), `接通 ${t.answered} / 转人工 ${t.offered}`),
    tile('15秒服务水平', percent(t.serviceLevel), '进入队列后15秒内应答'),
    tile('放弃率', percent(t.abandonRate), '排队或振铃中挂断'),
    tile('平均应答时长', secs(t.asa), '入队到坐席应答'),
    tile('平均通话时长', secs(t.talk)),
    tile('满意度', t.survey === null ? '—' : t.survey.toFixed(2), '满意度评价平均分'),
  );
}

/** The table; a key the plan or roster names shows its Chinese name, its id in the tooltip. */
function renderTable(rows, by, names) {
  const columns = summaryColumns(by, names);
  $('#summary thead tr').replaceChildren(
    ...columns.map((c) => el('th', { class: c.num ? 'num' : undefined }, c.header)),
  );
  $('#summary tbody').replaceChildren(
    ...(rows.length === 0
      ? [el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, '该时段没有通话记录'))]
      : rows.map((r) =>
          el(
            'tr',
            { 'data-period': r.period, 'data-key': r.key },
            ...columns.map((c, i) =>
              el(
                'td',
                { class: c.num ? 'num' : undefined, title: i === 1 && names[r.key] ? r.key : undefined },
                c.value(r),
              ),
            ),
          ),
        )),
  );
}

const chartFont = { fontFamily: 'Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif' };
const charts = {};
function chart(id) {
  const lib = globalThis.echarts;
  const box = $(`#${id}`);
  if (!lib || !box) return undefined;
  if (!charts[id]) {
    charts[id] = lib.init(box, null, { renderer: 'canvas' });
    new ResizeObserver(() => charts[id].resize()).observe(box);
  }
  return charts[id];
}

/** Per period (every key together): calls, offered, answered, and the service level over offered. */
function renderTrend(rows) {
  const byPeriod = new Map();
  for (const r of rows) {
    const p = byPeriod.get(r.period) ?? { calls: 0, offered: 0, answered: 0, within: 0 };
    p.calls += r.calls;
    p.offered += r.offered;
    p.answered += r.answered;
    p.within += r.serviceLevel15s * r.offered;
    byPeriod.set(r.period, p);
  }
  const periods = [...byPeriod.keys()].sort();
  const c = chart('trend');
  if (!c) return;
  c.setOption(
    {
      animation: false,
      textStyle: chartFont,
      color: ['#66768a', '#0b5cad', '#1e7d32', '#b26a00'],
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 64, top: 40, bottom: 36 },
      xAxis: { type: 'category', data: periods },
      yAxis: [
        { type: 'value', name: '通', minInterval: 1 },
        {
          type: 'value',
          name: '服务水平',
          min: 0,
          max: 100,
          axisLabel: { formatter: '{value}%' },
          splitLine: { show: false },
        },
      ],
      series: [
        { name: '来电量', type: 'line', data: periods.map((p) => byPeriod.get(p).calls) },
        { name: '转人工', type: 'line', data: periods.map((p) => byPeriod.get(p).offered) },
        { name: '接通', type: 'line', data: periods.map((p) => byPeriod.get(p).answered) },
        {
          name: '15秒服务水平',
          type: 'line',
          yAxisIndex: 1,
          lineStyle: { type: 'dashed' },
          data: periods.map((p) => {
            const x = byPeriod.get(p);
            return x.offered > 0 ? Math.round((x.within / x.offered) * 1000) / 10 : null;
          }),
        },
      ],
    },
    true,
  );
  $('#trend').dataset.periods = String(periods.length);
}

function renderHeatmap(cells) {
  const c = chart('heatmap');
  if (!c) return;
  const hours = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}时`);
  const data = cells.map((x) => [x.hour, x.weekday - 1, x.offered]);
  const max = Math.max(1, ...cells.map((x) => x.offered));
  c.setOption(
    {
      animation: false,
      textStyle: chartFont,
      tooltip: {
        formatter: (p) => `${weekdays[p.value[1]]} ${hours[p.value[0]]}：转人工 ${p.value[2]}`,
      },
      grid: { left: 72, right: 24, top: 16, bottom: 72 },
      xAxis: { type: 'category', data: hours, splitArea: { show: true } },
      yAxis: { type: 'category', data: weekdays, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0,
        max,
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        inRange: { color: ['#f4f8fc', '#6aa6e0', '#0b2f57'] },
      },
      series: [{ name: '转人工', type: 'heatmap', data, label: { show: false } }],
    },
    true,
  );
  $('#heatmap').dataset.cells = String(cells.length);
}

function renderTransfers(rows) {
  const ratio = (r) => (r.transfers > 0 ? percent(r.reached / r.transfers) : '—');
  $('#transfers tbody').replaceChildren(
    ...(rows.length === 0
      ? [el('tr', {}, el('td', { colspan: 7, class: 'muted' }, '该时段没有转接'))]
      : rows.map((r) =>
          el(
            'tr',
            {},
            el('td', {}, r.period),
            el('td', {}, targetKinds[r.targetKind] ?? r.targetKind),
            el('td', {}, r.targetId),
            el('td', {}, modes[r.mode] ?? r.mode),
            el('td', { class: 'num' }, r.transfers),
            el('td', { class: 'num' }, r.reached),
            el('td', { class: 'num' }, ratio(r)),
          ),
        )),
  );
}

/** A report's failure in Chinese: the database not configured, a bad range, or the API's words. */
function explain(err) {
  if (err instanceof ApiError && err.body?.error === 'reports-off')
    return '未配置通话记录数据库（RECORDS_DATABASE_URL），无法生成报表。';
  if (err instanceof ApiError && err.body?.error === 'reports-unavailable')
    return '通话记录数据库暂时无法访问，请稍后再试。';
  if (err instanceof ApiError && err.status === 400) return `查询条件有误：${err.message}`;
  return describeError(err);
}

async function run() {
  const grain = $('#grain').value;
  const by = $('#by').value;
  try {
    status('正在查询…', 'info');
    const [summary, heatmap, transfers] = await Promise.all([
      api('GET', `/reports/summary?${query({ grain, by })}`),
      api('GET', `/reports/heatmap?${query()}`),
      api('GET', `/reports/transfers?${query({ grain })}`),
    ]);
    renderTotals(summary.rows);
    renderTable(summary.rows, by, summary.names ?? {});
    renderTrend(summary.rows);
    renderHeatmap(heatmap.cells);
    renderTransfers(transfers.rows);
    document.body.dataset.loaded = `${grain}|${by}|${summary.rows.length}`;
    $('#updated').textContent = `查询于 ${new Date().toLocaleTimeString('zh-CN', { hour12: false })}`;
    status('');
  } catch (err) {
    status(explain(err));
  }
}

/** Fetches a CSV with the page's token and saves it under the name the API gives. */
async function download(report, params) {
  try {
    if (!token()) throw new ApiError(401, { error: 'unauthorized' });
    const res = await fetch(`/reports/${report}?${query({ ...params, format: 'csv' })}`, {
      headers: { authorization: `Bearer ${token()}` },
    });
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => undefined));
    const name =
      /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `${report}.csv`;
    const href = URL.createObjectURL(await res.blob());
    const link = el('a', { href, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
  } catch (err) {
    status(explain(err));
  }
}

// The last seven days by day, unless the address asks otherwise (?from=&to=&grain=&by=, a link to share).
const asked = new URLSearchParams(location.search);
$('#to').value = asked.get('to') ?? shanghaiDay(Date.now());
$('#from').value = asked.get('from') ?? shanghaiDay(Date.now() - 6 * 86_400_000);
for (const f of ['grain', 'by']) if (asked.get(f)) $(`#${f}`).value = asked.get(f);
$('#run').addEventListener('click', run);
$('#csv-summary').addEventListener('click', () =>
  download('summary', { grain: $('#grain').value, by: $('#by').value }),
);
$('#csv-heatmap').addEventListener('click', () => download('heatmap', {}));
$('#csv-transfers').addEventListener('click', () => download('transfers', { grain: $('#grain').value }));
onAuthLost(() => {
  for (const b of document.querySelectorAll('button')) b.setAttribute('disabled', '');
});
run();
