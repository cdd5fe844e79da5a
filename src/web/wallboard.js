import {
  $,
  api,
  describeError,
  el,
  onAuthLost,
  percent,
  poll,
  seconds,
  stateNames,
  status,
  token,
} from './common.js';
import { addMonitorButtons } from './monitor.js';

token();

function kpi(label, value, target, verdict) {
  return el(
    'div',
    { class: `kpi ${verdict ?? ''}`, 'data-kpi': label },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, value),
    target ? el('div', { class: 'target' }, target) : null,
  );
}

const judge = (value, ok) => (value === null || value === undefined ? '' : ok(value) ? 'good' : 'bad');

/** Not-ready reasons the engine sets by itself (the agents' own come from the center's Chinese list). */
const reasonNames = { rona: '振铃未接' };

/** The day's figures: the rates are over 转人工 (calls that asked for an agent), as GB/T 33358 counts them. */
function renderKpis(s) {
  const k = s.kpi;
  const l = s.live;
  const expert = k.agentAnswers - k.answered;
  $('#kpis').replaceChildren(
    kpi(
      '接通率',
      percent(k.answerRate),
      `目标 ≥ 95%；今日接通 ${k.answered} / 转人工 ${k.offered}`,
      judge(k.answerRate, (v) => v >= 0.95),
    ),
    kpi(
      `${k.serviceLevelSeconds}秒接通率（入队起算）`,
      percent(k.serviceLevel),
      `GB/T 33358：进入队列后${k.serviceLevelSeconds}秒内应答 ${k.answeredWithinServiceLevel} 通`,
      judge(k.serviceLevel, (v) => v >= 0.8),
    ),
    kpi(
      `${k.serviceLevelSeconds}秒接通率（来电起算）`,
      percent(k.serviceLevelFromArrival),
      `含提示音、菜单；来电到接通平均 ${seconds(k.asaFromArrivalSeconds)}`,
      judge(k.serviceLevelFromArrival, (v) => v >= 0.8),
    ),
    kpi(
      '平均应答时长',
      seconds(k.asaSeconds),
      '入队到坐席应答（ASA）',
      judge(k.asaSeconds, (v) => v <= k.serviceLevelSeconds),
    ),
    kpi(
      '放弃率',
      percent(k.abandonmentRate),
      `排队、振铃中挂断 ${k.abandoned} 通`,
      judge(k.abandonmentRate, (v) => v <= 0.05),
    ),
    kpi(
      '今日呼入',
      String(k.calls),
      `转人工 ${k.offered} · 接通 ${k.answered} · 坐席接听 ${k.agentAnswers}${expert > 0 ? `（含专家会商 ${expert}）` : ''}`,
    ),
    kpi(
      '当前通话',
      String(l.calls),
      `语音导航 ${l.ivr} · 排队 ${l.waiting} · 振铃 ${l.ringing} · 坐席通话 ${l.talking} · 已转外部 ${l.transferred}`,
    ),
  );
}

/** One count per agent state; 通话 here is the agents on a call, the same figure as 当前通话's 坐席通话. */
function renderAgentTotals(s) {
  const t = s.agentTotals;
  const part = (key, label, value, cls = '') =>
    el('span', { class: `total ${cls}`, 'data-total': key }, el('b', {}, value), ` ${label}`);
  const parts = [
    el('span', { class: 'muted' }, '坐席'),
    part('logged-in', '在线', t.loggedIn),
    part('ready', '就绪', t.ready, 'ready'),
    t.readyNoDevice > 0 ? part('ready-no-device', '就绪但话机未注册', t.readyNoDevice, 'not-ready') : null,
    part('ringing', '振铃', t.ringing, 'reserved'),
    part('on-call', '通话', t.onCall, 'on-call'),
    part('wrap-up', '话后', t.wrapUp, 'wrap-up'),
    part('not-ready', '未就绪', t.notReady, 'not-ready'),
    part('answered-today', '今日接听（合计）', t.answeredToday),
  ];
  $('#agent-totals').replaceChildren(...parts.filter(Boolean));
}

/** Why calls wait although agents may be ready, in words. */
function noteText(n) {
  switch (n.kind) {
    case 'ringing':
      return `${n.calls}通正在振铃坐席`;
    case 'skill': {
      const widen =
        n.widenInSeconds === null
          ? '本队列不放宽技能'
          : n.widenInSeconds > 0
            ? `${seconds(n.widenInSeconds)}后放宽到本队列全部坐席`
            : '即将放宽到本队列全部坐席';
      return `${n.calls}通等待具备「${n.skillName}」技能的坐席（就绪坐席无此技能），${widen}`;
    }
    case 'assigning':
      return `${n.calls}通正在分配给就绪坐席`;
    case 'no-agent':
      return n.readyElsewhere > 0
        ? `本队列无就绪坐席（${n.readyElsewhere}名就绪坐席只服务其他队列）`
        : '本队列无就绪坐席';
    default:
      return '';
  }
}

/** Queues with calls or agents first; the rest (no calls, nobody logged in for them) are left out on the wall. */
function renderQueues(s) {
  const k = s.kpi;
  const shown = s.queues.filter(
    (q) => q.waiting + q.ringing + q.agentsReady + q.agentsOnCall + q.agentsWrapUp > 0 || q.kind === 'pool',
  );
  $('#queues tbody').replaceChildren(
    ...shown.map((q) =>
      el(
        'tr',
        { 'data-queue': q.id },
        el('td', {}, q.name),
        el('td', { class: 'num' }, q.waiting),
        el('td', { class: 'num' }, q.ringing),
        el(
          'td',
          { class: `num ${q.longestWaitSeconds > k.serviceLevelSeconds ? 'late' : ''}` },
          seconds(q.longestWaitSeconds),
        ),
        el('td', { class: 'num' }, q.agentsReady),
        el('td', { class: 'num' }, q.agentsOnCall),
        el('td', { class: 'num' }, q.agentsWrapUp),
        el('td', { class: 'notes' }, ...q.notes.map((n) => el('div', { 'data-note': n.kind }, noteText(n)))),
      ),
    ),
  );
}

/**
 * The 监听 / 耳语 / 强插 buttons of each call an agent is talking on (src/web/monitor.js), kept
 * across refreshes by call id: the board redraws every 2 s, a live monitoring session's buttons
 * and state must not be redrawn with it.
 */
const monitorBoxes = new Map();
function monitorBox(callId, live) {
  live.add(callId);
  let box = monitorBoxes.get(callId);
  if (!box) {
    box = el('div', { class: 'agent-monitor' });
    // the board knows of no session on a call it has just seen: no question to the API
    addMonitorButtons(box, callId, { probe: false });
    monitorBoxes.set(callId, box);
  }
  return box;
}

/** Logged-out agents last; past 16 agents the tiles get smaller so that a floor fits on the wall. */
function renderAgents(s) {
  const live = new Set();
  const agents = [...s.agents].sort(
    (x, y) => Number(x.state === 'logged-out') - Number(y.state === 'logged-out') || (x.id < y.id ? -1 : 1),
  );
  const grid = $('#agents');
  grid.classList.toggle('dense', agents.length > 16);
  grid.replaceChildren(
    ...agents.map((a) =>
      el(
        'div',
        { class: `agent-tile ${a.state}`, 'data-agent': a.id, 'data-state': a.state },
        el('div', { class: 'agent-name' }, a.name, el('span', { class: 'muted' }, ` ${a.id}`)),
        el(
          'div',
          { class: 'agent-state' },
          el('span', { class: `state ${a.state}` }, stateNames[a.state] ?? a.state),
          a.notReadyReason
            ? el('span', { class: 'muted reason' }, ` ${reasonNames[a.notReadyReason] ?? a.notReadyReason}`)
            : null,
          a.state !== 'logged-out' && a.state !== 'not-ready' && a.queueName
            ? el('span', { class: 'muted queue' }, ` ${a.queueName}`)
            : null,
        ),
        el(
          'div',
          { class: 'agent-figures' },
          el('span', {}, seconds(a.secondsInState)),
          el('span', { 'data-answered': a.callsAnsweredToday }, `今日接听 ${a.callsAnsweredToday}`),
        ),
        a.callId ? monitorBox(a.callId, live) : null,
      ),
    ),
  );
  for (const id of monitorBoxes.keys()) if (!live.has(id)) monitorBoxes.delete(id);
}

function renderLines(s) {
  const lines = s.kpi.perLine;
  $('#lines tbody').replaceChildren(
    ...(lines.length === 0
      ? [el('tr', {}, el('td', { class: 'muted', colspan: 2 }, '今日暂无呼入'))]
      : lines.map((l) =>
          el('tr', { 'data-line': l.line }, el('td', {}, l.name), el('td', { class: 'num' }, l.calls)),
        )),
  );
}

const daySourceNames = {
  database: '今日统计：数据库（已结束通话，重启后保留）',
  'database-unreachable': '数据库不可达：今日统计暂取 Redis 或本引擎数据',
  redis: '',
  memory: '今日统计：本引擎内存（重启后清零）',
  'memory-redis-unreachable': 'Redis 不可达：今日统计暂取本引擎数据',
};

function render(s) {
  $('#center').textContent = `${s.center.name} · 监控大屏`;
  $('#updated').textContent = `更新于 ${new Date(s.at).toLocaleTimeString('zh-CN')}`;
  const source = $('#day-source');
  source.textContent = daySourceNames[s.daySource] ?? '';
  source.dataset.source = s.daySource ?? '';
  renderKpis(s);
  renderAgentTotals(s);
  renderQueues(s);
  renderAgents(s);
  renderLines(s);
  renderTrend(s);
}

/**
 * The day's trend with echarts (served as /web/echarts.min.js): bars of calls offered, answered
 * and abandoned per quarter hour, and the service level as a line on the right-hand axis. No
 * animation (a wall screen refreshed every 2 s) and no tooltip (nobody points at a wall).
 */
let chart;
function renderTrend(s) {
  const charts = globalThis.echarts;
  const box = $('#trend');
  if (!charts || !box) return;
  if (!chart) {
    chart = charts.init(box, null, { renderer: 'canvas' });
    new ResizeObserver(() => chart.resize()).observe(box);
  }
  // From the day's first busy quarter hour (at least the last four hours), so the bars stay readable.
  const busy = s.trend.findIndex((x) => x.offered > 0 || x.answered > 0 || x.abandoned > 0);
  const from = Math.max(0, Math.min(busy < 0 ? s.trend.length : busy, s.trend.length - 16));
  const slots = s.trend.slice(from);
  const big = { fontSize: 16, color: '#1d2733' };
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: 'Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif' },
    color: ['#0b5cad', '#1e7d32', '#b3261e', '#b26a00'],
    legend: { top: 0, textStyle: big, itemWidth: 22, itemHeight: 14 },
    grid: { left: 56, right: 64, top: 44, bottom: 36 },
    xAxis: { type: 'category', data: slots.map((x) => x.start), axisLabel: { fontSize: 14 } },
    yAxis: [
      { type: 'value', name: '通', minInterval: 1, axisLabel: { fontSize: 14 }, nameTextStyle: big },
      {
        type: 'value',
        name: '服务水平',
        min: 0,
        max: 100,
        axisLabel: { formatter: '{value}%', fontSize: 14 },
        nameTextStyle: big,
        splitLine: { show: false },
      },
    ],
    series: [
      { name: '转人工', type: 'bar', data: slots.map((x) => x.offered) },
      { name: '接通', type: 'bar', data: slots.map((x) => x.answered) },
      { name: '放弃', type: 'bar', data: slots.map((x) => x.abandoned) },
      {
        name: `${s.kpi.serviceLevelSeconds}秒服务水平`,
        type: 'line',
        yAxisIndex: 1,
        connectNulls: false,
        symbolSize: 6,
        lineStyle: { width: 3 },
        data: slots.map((x) => (x.serviceLevel === null ? null : Math.round(x.serviceLevel * 1000) / 10)),
      },
    ],
  });
  box.dataset.slots = String(slots.length);
  box.dataset.from = slots[0]?.start ?? '';
}

/**
 * Admission control's state: while shedding, the share of new calls the engine still takes (the
 * rest go to the safety net); critical takes none.
 */
const admissionNames = { normal: '接入正常', shedding: '过载分流中', critical: '严重过载', off: '' };
function renderAdmission(s) {
  const state = s.admission?.state ?? 'off';
  const node = $('#admission');
  const share = s.admission?.share;
  const taken =
    state === 'shedding' && typeof share === 'number' ? `（接入${Math.round(share * 100)}%）` : '';
  node.textContent = (admissionNames[state] ?? state) + taken;
  node.className = `who admission ${state}`;
  node.dataset.state = state;
}

/**
 * Several Asterisk nodes and the SIP edge: each node (up by the edge's OPTIONS and reached by
 * this engine's ARI, with its live calls) and each trunk the edge pings; down ones stand out.
 * Hidden with one Asterisk and no edge (nothing to show).
 */
function nodeState(n) {
  if (n.edgeUp === false) return { text: '故障', down: true };
  if (n.engineConnected === false) return { text: '引擎未连接', down: true };
  return { text: `正常（${n.calls}通）`, down: false };
}

function item(name, state, down, attrs) {
  return el('span', { ...attrs, class: down ? 'late' : '' }, `${name} ${state}`);
}

function joined(label, items) {
  return [label, ...items.flatMap((x, i) => [i === 0 ? ' ' : ' · ', x])];
}

function renderTelephony(t) {
  const box = $('#telephony');
  const nodes = t?.nodes ?? [];
  const trunks = t?.trunks ?? [];
  box.hidden = nodes.length === 0 && trunks.length === 0;
  const nodeItems = nodes.map((n) => {
    const s = nodeState(n);
    return item(n.name, s.text, s.down, { 'data-node': n.name, 'data-down': String(s.down) });
  });
  const trunkItems = trunks.map((tr) =>
    item(tr.name, tr.up ? '正常' : '故障', !tr.up, { 'data-trunk': tr.name, 'data-down': String(!tr.up) }),
  );
  $('#telephony-nodes').replaceChildren(...(nodes.length > 0 ? joined('语音节点', nodeItems) : []));
  $('#telephony-trunks').replaceChildren(...(trunks.length > 0 ? joined('中继', trunkItems) : []));
  box.title =
    typeof t?.edgeReportAgeSeconds === 'number'
      ? `SIP 边缘节点报告于 ${Math.round(t.edgeReportAgeSeconds)} 秒前`
      : '无 SIP 边缘节点报告';
}

async function refresh() {
  try {
    const stats = await api('GET', '/stats');
    render(stats);
    renderAdmission(stats);
    renderTelephony(stats.telephony);
    status('');
  } catch (err) {
    status(describeError(err));
  }
}

// Every 2 s, until the token is found not valid (then the status line says why and how to go on).
poll(refresh, 2000);
onAuthLost(() => {
  $('#updated').textContent = '已停止刷新';
});
