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

function render(s) {
  $('#center').textContent = `${s.center.name} · 监控大屏`;
  $('#updated').textContent = `更新于 ${new Date(s.at).toLocaleTimeString('zh-CN')}`;
  const k = s.kpi;
  $('#kpis').replaceChildren(
    kpi(
      '接通率',
      percent(k.answerRate),
      '目标 ≥ 95%（24小时）',
      judge(k.answerRate, (v) => v >= 0.95),
    ),
    kpi(
      `${k.serviceLevelSeconds}秒接通率（入队起算）`,
      percent(k.serviceLevel),
      `GB/T 33358：进入队列后${k.serviceLevelSeconds}秒内应答`,
      judge(k.serviceLevel, (v) => v >= 0.8),
    ),
    kpi(
      `${k.serviceLevelSeconds}秒接通率（来电起算）`,
      percent(k.serviceLevelFromArrival),
      `来电后${k.serviceLevelSeconds}秒内应答（含提示音、菜单）；平均 ${seconds(k.asaFromArrivalSeconds)}`,
      judge(k.serviceLevelFromArrival, (v) => v >= 0.8),
    ),
    kpi(
      '平均应答时长',
      seconds(k.asaSeconds),
      'ASA',
      judge(k.asaSeconds, (v) => v <= k.serviceLevelSeconds),
    ),
    kpi(
      '放弃率',
      percent(k.abandonmentRate),
      '排队/振铃中挂断',
      judge(k.abandonmentRate, (v) => v <= 0.05),
    ),
    kpi('呼入量', String(k.calls), `转人工 ${k.offered}，接通 ${k.answered}`),
    kpi('当前通话', String(s.live.calls), `排队 ${s.live.waiting}，通话 ${s.live.talking}`),
  );
  $('#queues tbody').replaceChildren(
    ...s.queues.map((q) =>
      el(
        'tr',
        { 'data-queue': q.id },
        el('td', {}, q.name),
        el('td', { class: 'num' }, q.waiting),
        el('td', { class: 'num' }, q.offered),
        el(
          'td',
          { class: `num ${q.longestWaitSeconds > k.serviceLevelSeconds ? 'late' : ''}` },
          seconds(q.longestWaitSeconds),
        ),
        el('td', { class: 'num' }, q.agentsReady),
        el('td', { class: 'num' }, q.agentsOnCall),
        el('td', { class: 'num' }, q.agentsWrapUp),
        el('td', { class: 'num' }, q.agentsNotReady),
      ),
    ),
  );
  $('#agents tbody').replaceChildren(
    ...s.agents.map((a) =>
      el(
        'tr',
        { 'data-agent': a.id },
        el('td', {}, `${a.name}（${a.id}）`),
        el(
          'td',
          {},
          el('span', { class: `state ${a.state}` }, stateNames[a.state] ?? a.state),
          a.notReadyReason ? el('span', { class: 'muted' }, ` ${a.notReadyReason}`) : null,
        ),
        el('td', { class: 'num' }, seconds(a.secondsInState)),
        el('td', { class: 'num' }, a.callsAnsweredToday),
      ),
    ),
  );
  $('#lines tbody').replaceChildren(
    ...(k.perLine.length === 0
      ? [el('tr', {}, el('td', { class: 'muted', colspan: 2 }, '近24小时暂无呼入'))]
      : k.perLine.map((l) => el('tr', {}, el('td', {}, l.name), el('td', { class: 'num' }, l.calls)))),
  );
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
