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

let me;
let agent;
let call;
let callId;

const buttons = (...ids) => ids.map((id) => $(`#${id}`));

function renderAgent() {
  const s = agent?.state ?? 'logged-out';
  $('#state').textContent = stateNames[s] ?? s;
  $('#state').className = `state ${s}`;
  $('#since').textContent = agent ? `已持续 ${seconds((Date.now() - Date.parse(agent.since)) / 1000)}` : '';
  renderEndpoints();
  $('#login').disabled = s !== 'logged-out' || !$('#endpoint').value;
  $('#ready').disabled = !['not-ready', 'wrap-up'].includes(s);
  $('#not-ready').disabled = !['ready', 'wrap-up', 'on-call', 'reserved'].includes(s);
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

function renderCall() {
  const live = call && call.stage !== 'ended';
  $('#no-call').hidden = Boolean(live);
  $('#call').hidden = !live;
  const talking = live && call.stage === 'talking' && call.agentId === me.agentId;
  const transfer = live ? call.transfer : undefined;
  for (const b of buttons('three-way', 'consult', 'blind')) b.disabled = !talking || Boolean(transfer);
  $('#complete').disabled = !(transfer && transfer.mode === 'consult' && transfer.answered);
  $('#cancel').disabled = !(transfer && transfer.mode === 'consult');
  $('#leave').disabled = !talking;
  if (!live) return;
  $('#call-line').textContent = `${call.line.name}（${call.dialed}）`;
  $('#call-topic').textContent = call.topic;
  $('#call-caller').textContent = call.caller;
  $('#call-ivr').textContent =
    call.ivrPath.length === 0
      ? '无'
      : call.ivrPath.map((p) => `${p.menu}:${p.keys || '—'}→${p.outcome}`).join(' / ');
  $('#call-stage').textContent = stageNames[call.stage] ?? call.stage;
  $('#call-transfer').textContent = transfer
    ? `${transfer.target}（${transfer.mode}，${transfer.answered ? '已应答' : '呼叫中'}）`
    : call.target
      ? `${call.target.kind}:${call.target.id}`
      : '—';
}

async function refreshAgent() {
  if (!me) return;
  agent = await api('GET', `/agents/${me.agentId}`);
  renderAgent();
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
  if (name === 'offered' || name === 'connected') callId = d.callId;
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
  const { targets } = await api('GET', '/transfer-targets');
  const kinds = {
    subcenter: '分中心',
    expert: '专家座席',
    emergency: '紧急热线',
    center: '其他热线',
    directory: '通讯录',
  };
  $('#target').replaceChildren(
    ...targets.map((t) => el('option', { value: t.ref }, `${kinds[t.kind] ?? t.kind} · ${t.name}`)),
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
}

wire();
onAuthLost(() => {
  $('#stream').textContent = '事件流已停止';
});
start().catch((err) => status(describeError(err)));
