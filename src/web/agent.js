import {
  $,
  api,
  authLost,
  describeError,
  el,
  onAuthLost,
  poll,
  seconds,
  stateNames,
  status,
  streamEvents,
  token,
} from './common.js';

token();

const eventNames = {
  offered: '来电振铃',
  connected: '已接通',
  ended: '通话结束',
  'transfer-dialing': '正在呼叫转接目标',
  'transfer-connected': '转接目标已应答',
  'transfer-failed': '转接失败',
  'transfer-completed': '转接完成',
  'transfer-cancelled': '转接已取消',
  'target-left': '转接目标已挂断',
  'ticket-dispatched': '已派发工单',
};
const stageNames = {
  ivr: '语音导航',
  queued: '排队中',
  ringing: '振铃',
  talking: '通话中',
  dialing: '呼叫中',
  transferred: '已转接',
  survey: '满意度测评',
  closing: '结束中',
};

/** How a call ended, as the screen pop lists earlier calls. */
const dispositionNames = {
  answered: '已接听',
  'abandoned-ivr': '导航中挂断',
  'abandoned-queue': '排队中挂断',
  'abandoned-ringing': '振铃中挂断',
  transferred: '已转接',
  ticketed: '已派工单',
  'deregistered-notice': '停号提示',
  'self-service': '自助服务',
  'safety-net-answered': '应急接听',
  'safety-net-message': '应急留言',
  shed: '过载分流',
  'pbx-lost': '线路中断',
  'callback-unanswered': '回呼未接通',
};

/** Reasons the engine itself sets (not on the center's list). */
const reasonNames = { rona: '振铃未接' };

let me;
let agent;
let call;
let callId;
let targetNames = new Map();
/** The call the screen pop shows (fetched once per call). */
let popFor;

const buttons = (...ids) => ids.map((id) => $(`#${id}`));

function renderAgent() {
  const s = agent?.state ?? 'logged-out';
  $('#state').textContent = stateNames[s] ?? s;
  $('#state').className = `state ${s}`;
  const reason = s === 'not-ready' ? agent.notReadyReason : undefined;
  const pending = agent?.pendingNotReady;
  $('#state-reason').textContent = reason
    ? `（${reasonNames[reason] ?? reason}）`
    : pending
      ? `（本次结束后未就绪：${reasonNames[pending] ?? pending}）`
      : '';
  // The service's clock and the browser's may differ a little: never a negative duration.
  const held = agent ? Math.max(0, (Date.now() - Date.parse(agent.since)) / 1000) : 0;
  $('#since').textContent = agent ? `已持续 ${seconds(held)}` : '';
  renderEndpoints();
  $('#login').disabled = s !== 'logged-out' || !$('#endpoint').value;
  $('#ready').disabled = !['not-ready', 'wrap-up'].includes(s);
  $('#not-ready').disabled =
    !['ready', 'not-ready', 'wrap-up', 'on-call', 'reserved'].includes(s) || !$('#reason').value;
  $('#end-wrap-up').disabled = s !== 'wrap-up';
  $('#logout').disabled = s === 'logged-out' || s === 'on-call' || s === 'reserved';
}

/** The phones the roster assigns to this agent: the login chooses among them, nothing else. */
function renderEndpoints() {
  const select = $('#endpoint');
  const assigned = agent?.endpoints ?? [];
  const shown = [...select.options].map((o) => o.value);
  if (assigned.length === 0) {
    if (shown.length !== 1 || shown[0] !== '') {
      const none = document.createElement('option');
      none.value = '';
      none.textContent = '名册未分配分机';
      select.replaceChildren(none);
    }
    select.disabled = true;
    return;
  }
  if (shown.join('\n') !== assigned.join('\n')) {
    const chosen = select.value || agent.endpoint;
    select.replaceChildren(
      ...assigned.map((endpoint) => {
        const option = document.createElement('option');
        option.value = endpoint;
        option.textContent = endpoint;
        return option;
      }),
    );
    if (assigned.includes(chosen)) select.value = chosen;
  }
  select.disabled = (agent?.state ?? 'logged-out') !== 'logged-out';
}

/** The panel shows exactly the current call: nothing (暂无通话) before, after it and once logged out. */
function renderCall() {
  const live = Boolean(call) && call.stage !== 'ended';
  $('#no-call').hidden = live;
  $('#call').hidden = !live;
  const talking = live && call.stage === 'talking' && call.agentId === me.agentId;
  const transfer = live ? call.transfer : undefined;
  // While the target rings, the agent stays: the caller is never left alone with a ringing phone.
  const ringing = Boolean(transfer) && !transfer.answered;
  for (const b of buttons('three-way', 'consult', 'blind')) b.disabled = !talking || Boolean(transfer);
  $('#complete').disabled = !(transfer && transfer.mode === 'consult' && transfer.answered);
  $('#cancel').disabled = !(transfer && transfer.mode === 'consult');
  $('#leave').disabled = !talking || ringing;
  $('#leave-hint').hidden = !(talking && ringing);
  $('#dispatch').disabled = !talking || !$('#ticket-target').value;
  renderDesk(live, talking && !transfer);
  if (!live) {
    for (const dd of document.querySelectorAll('#call dd')) dd.textContent = '';
    return;
  }
  $('#call-line').textContent = `${call.line.name}（${call.dialed}）`;
  $('#call-topic').textContent = call.topicName ?? call.topic;
  $('#call-caller').textContent = call.caller;
  $('#call-ivr').textContent =
    call.ivrPath.length === 0
      ? '无'
      : call.ivrPath.map((p) => `${p.menu}:${p.keys || '—'}→${p.outcome}`).join(' / ');
  $('#call-stage').textContent = stageNames[call.stage] ?? call.stage;
  $('#call-transfer').textContent = transfer
    ? `${targetNames.get(transfer.target) ?? transfer.target}（${modeNames[transfer.mode] ?? transfer.mode}，${transfer.answered ? '已应答' : '呼叫中'}）`
    : call.target
      ? (targetNames.get(`${call.target.kind}:${call.target.id}`) ?? `${call.target.kind}:${call.target.id}`)
      : '—';
}

/**
 * 保持/恢复 and 静音/取消静音: one button each, its label the action it takes now, the state shown
 * beside it and in the call panel. Only on the agent's own talking call with no transfer under way.
 */
function renderDesk(live, usable) {
  const hold = live ? call.hold : undefined;
  const onHold = Boolean(hold?.onHold);
  const muted = live && call.muted === true;
  const holdButton = $('#hold');
  holdButton.textContent = onHold ? '恢复' : '保持';
  holdButton.setAttribute('aria-pressed', String(onHold));
  holdButton.disabled = !usable;
  const muteButton = $('#mute');
  muteButton.textContent = muted ? '取消静音' : '静音';
  muteButton.setAttribute('aria-pressed', String(muted));
  muteButton.disabled = !usable;
  $('#hold-state').hidden = !onHold;
  $('#mute-state').hidden = !muted;
  if (!live) return;
  const count = hold?.count ?? 0;
  const since = onHold && hold.since ? new Date(hold.since).toLocaleTimeString('zh-CN') : '';
  $('#call-hold').textContent = onHold
    ? `保持中（自 ${since}，第 ${count} 次）`
    : count > 0
      ? `未保持（共 ${count} 次，累计 ${seconds(hold.closedSeconds ?? 0)}）`
      : '未保持';
  $('#call-mute').textContent = muted ? '已静音' : '正常';
}

const modeNames = { 'three-way': '三方转接', consult: '咨询转接', blind: '直接转接' };

/** Forgets the call: it ended, the agent left it, or logged out. */
function forgetCall() {
  callId = undefined;
  call = undefined;
  renderCall();
  clearScreenPop();
}

function clearScreenPop() {
  popFor = undefined;
  $('#screen-pop').hidden = true;
  for (const id of ['pop-history', 'pop-answers']) $(`#${id}`).replaceChildren();
  $('#pop-caller').textContent = '';
  $('#pop-note').textContent = '';
}

/**
 * The screen pop of a call offered or answered: the caller's earlier calls (masked, most recent
 * first) and the standard answers of its line and category. Fetched once per call.
 */
async function showScreenPop(id) {
  if (!id || popFor === id) return;
  popFor = id;
  let pop;
  try {
    pop = await api('GET', `/calls/${encodeURIComponent(id)}/screen-pop`);
  } catch (err) {
    if (popFor === id) popFor = undefined;
    // No screen pop on this service, or the call is gone: nothing to show.
    if (err.status === 404 || err.status === 403) return;
    throw err;
  }
  if (popFor !== id) return;
  $('#pop-caller').textContent = `${pop.caller} · ${pop.line.name} · ${pop.topicName}`;
  const calls = pop.history.calls;
  $('#pop-note').textContent = !pop.history.available
    ? pop.history.reason
    : calls.length === 0
      ? '该号码没有历史来电'
      : `该号码最近 ${calls.length} 次来电`;
  $('#pop-history-table').hidden = calls.length === 0;
  $('#pop-history').replaceChildren(
    ...calls.map((c) =>
      el(
        'tr',
        {},
        el('td', {}, new Date(c.at).toLocaleString('zh-CN', { hour12: false })),
        el('td', {}, `${c.line.name}（${c.dialed}）`),
        el('td', {}, c.topicName),
        el('td', {}, dispositionNames[c.disposition] ?? c.disposition),
        el(
          'td',
          {},
          c.ticket
            ? `${targetNames.get(c.ticket.target) ?? c.ticket.target}${c.ticket.reason ? `：${c.ticket.reason}` : ''}`
            : '—',
        ),
      ),
    ),
  );
  $('#pop-answers').replaceChildren(
    ...pop.answers.map((a) =>
      el(
        'li',
        {},
        el('strong', {}, a.title),
        el('p', {}, a.text),
        el('small', { class: 'muted' }, `依据：${a.source}`),
      ),
    ),
  );
  $('#screen-pop').hidden = false;
}

async function refreshAgent() {
  if (!me) return;
  agent = await api('GET', `/agents/${me.agentId}`);
  renderAgent();
  if (agent.state === 'logged-out') {
    if (callId || call) forgetCall();
  } else if (['reserved', 'on-call'].includes(agent.state) && agent.callId && agent.callId !== callId) {
    callId = agent.callId;
    await refreshCall();
  }
  if (callId) await showScreenPop(callId);
}

async function refreshCall() {
  if (!me) return;
  if (!callId) {
    call = undefined;
  } else {
    try {
      call = await api('GET', `/calls/${encodeURIComponent(callId)}`);
    } catch (err) {
      if (err.status !== 404 && err.status !== 403) throw err;
      call = undefined;
      callId = undefined;
    }
  }
  renderCall();
}

function log(text) {
  $('#log').prepend(el('li', {}, `${new Date().toLocaleTimeString('zh-CN')} ${text}`));
}

/** The agent this page acts for; a button pressed before it is known says so instead. */
function myId() {
  if (!me?.agentId) throw new Error(authLost() ? describeError(authLost()) : '尚未取得坐席身份，操作未执行');
  return me.agentId;
}

/** A button's action: its outcome, or why it failed, always shows in the status line. */
async function act(fn, done) {
  try {
    status('');
    await fn();
    if (done) status(done, 'ok');
  } catch (err) {
    status(describeError(err));
  }
  await Promise.allSettled([refreshAgent(), refreshCall()]);
}

function onEvent(name, e) {
  const d = e.detail ?? {};
  log(`${eventNames[name] ?? name}${d.line ? ` · ${d.line}` : ''}${d.result ? ` · ${d.result}` : ''}`);
  if (name === 'offered' || name === 'connected') {
    callId = d.callId;
    showScreenPop(callId).catch((err) => status(describeError(err)));
  }
  if (name === 'ended' && d.callId === callId) forgetCall();
  refreshCall().catch(() => undefined);
  refreshAgent().catch(() => undefined);
}

async function start() {
  const who = await api('GET', '/me');
  if (who.role !== 'agent') {
    status(`此页面供坐席使用（当前令牌角色：${who.role}）`);
    return;
  }
  me = who;
  $('#who').textContent = `坐席 ${me.agentId}`;
  const [{ targets }, { reasons }] = await Promise.all([
    api('GET', '/transfer-targets'),
    api('GET', '/not-ready-reasons'),
  ]);
  $('#reason').replaceChildren(...reasons.map((r) => el('option', { value: r }, r)));
  const kinds = {
    subcenter: '分中心',
    expert: '专家座席',
    emergency: '紧急热线',
    center: '其他热线',
    directory: '通讯录',
  };
  targetNames = new Map(targets.map((t) => [t.ref, `${kinds[t.kind] ?? t.kind} · ${t.name}`]));
  $('#target').replaceChildren(...targets.map((t) => el('option', { value: t.ref }, targetNames.get(t.ref))));
  // A work order goes to a sub-center (三方转接、派发工单等方式，转至分中心办理).
  $('#ticket-target').replaceChildren(
    ...targets
      .filter((t) => t.kind === 'subcenter')
      .map((t) => el('option', { value: t.ref }, targetNames.get(t.ref))),
  );
  await refreshAgent();
  if (agent.callId) callId = agent.callId;
  await refreshCall();
  streamEvents(`/agents/${encodeURIComponent(me.agentId)}/events`, onEvent, (up) => {
    $('#stream').textContent = up ? '事件流已连接' : '事件流重连中…';
  });
  // The state every 5 s (its time in state), until the token is found not valid.
  poll(() => refreshAgent().catch((err) => status(describeError(err))), 5000, { wait: true });
}

/** The live call a button acts on; without one the button says so. */
function myCall() {
  if (!callId) throw new Error('当前没有通话');
  return encodeURIComponent(callId);
}

function wire() {
  $('#login').addEventListener('click', () =>
    act(() => api('POST', `/agents/${myId()}/login`, { endpoint: $('#endpoint').value }), '已登录'),
  );
  $('#ready').addEventListener('click', () => act(() => api('POST', `/agents/${myId()}/ready`), '已就绪'));
  $('#not-ready').addEventListener('click', () =>
    act(() => api('POST', `/agents/${myId()}/not-ready`, { reason: $('#reason').value }), '已置为未就绪'),
  );
  $('#end-wrap-up').addEventListener('click', () => act(() => api('POST', `/agents/${myId()}/wrap-up/end`)));
  $('#logout').addEventListener('click', () => act(() => api('POST', `/agents/${myId()}/logout`), '已登出'));
  for (const b of buttons('three-way', 'consult', 'blind')) {
    b.addEventListener('click', () =>
      act(
        () =>
          api('POST', `/calls/${myCall()}/transfers`, {
            target: $('#target').value,
            mode: b.dataset.mode,
          }),
        `${b.textContent}已发起`,
      ),
    );
  }
  const transferStep = (step) => () =>
    act(() => {
      if (!call?.transfer) throw new Error('当前没有进行中的转接');
      return api('POST', `/calls/${myCall()}/transfers/${encodeURIComponent(call.transfer.id)}/${step}`);
    });
  $('#complete').addEventListener('click', transferStep('complete'));
  $('#cancel').addEventListener('click', transferStep('cancel'));
  $('#leave').addEventListener('click', () =>
    act(() => api('DELETE', `/calls/${myCall()}/agent`), '已离开通话'),
  );
  $('#hold').addEventListener('click', () =>
    act(async () => {
      const back = Boolean(call?.hold?.onHold);
      await api(back ? 'DELETE' : 'POST', `/calls/${myCall()}/hold`);
      status(back ? '已恢复通话' : '已保持，市民正在听等待音乐', 'ok');
    }),
  );
  $('#mute').addEventListener('click', () =>
    act(async () => {
      const unmute = call?.muted === true;
      await api(
        unmute ? 'DELETE' : 'POST',
        `/calls/${myCall()}/mute`,
        unmute ? undefined : { direction: 'in' },
      );
      status(unmute ? '已取消静音' : '已静音', 'ok');
    }),
  );
  $('#dispatch').addEventListener('click', () =>
    act(async () => {
      const reason = $('#ticket-reason').value.trim();
      if (!reason) throw new Error('请先填写工单的诉求摘要');
      const target = $('#ticket-target').value;
      const { ticketId } = await api('POST', `/calls/${myCall()}/tickets`, { target, reason });
      $('#ticket-reason').value = '';
      status(`已派发工单 ${ticketId} → ${targetNames.get(target) ?? target}`, 'ok');
    }),
  );
}

wire();
onAuthLost(() => {
  $('#stream').textContent = '事件流已停止';
});
start().catch((err) => status(describeError(err)));
