// Supervisor monitoring buttons for a live call (监听 / 耳语 / 强插 / 结束), for the wallboard's
// call rows: `addMonitorButtons(row, callId)`. The first button pressed calls the supervisor's
// own phone (POST /calls/:id/monitor); the others change the mode on the live session (PATCH);
// 结束 ends it (DELETE). The supervisor's phone is asked for once and kept in localStorage.
import { api, describeError, el, status } from './common.js';

const ENDPOINT_KEY = 'hotline.monitor.endpoint';
const modes = [
  ['listen', '监听'],
  ['whisper', '耳语'],
  ['barge', '强插'],
];
const stageNames = { dialing: '正在呼叫您的话机', live: '进行中', ended: '已结束' };
/** The refusals a supervisor can meet here, in words. */
const refusals = {
  'not-talking': '该通话不在坐席通话中，无法监听',
  'no-such-call': '该通话已结束',
  'no-such-monitor': '监听已结束',
  'monitor-in-progress': '该通话已在监听中',
};

/** The supervisor's phone (`PJSIP/sup9001`): kept from before, else asked for. */
function supervisorEndpoint() {
  let endpoint = localStorage.getItem(ENDPOINT_KEY);
  if (!endpoint) {
    endpoint = (prompt('请输入您的话机（如 PJSIP/sup9001）') ?? '').trim();
    if (endpoint) localStorage.setItem(ENDPOINT_KEY, endpoint);
  }
  return endpoint;
}

/**
 * Appends the monitoring buttons to `row` (a table row gets a cell of its own) for the call
 * `callId`; returns the element added. `options.endpoint` gives the supervisor's phone instead of
 * asking for it; `options.probe: false` skips asking whether a session already runs on the call.
 */
export function addMonitorButtons(row, callId, options = {}) {
  const box = el('span', { class: 'monitor', 'data-monitor': callId });
  const state = el('span', {
    class: 'monitor-state muted',
    'data-monitor-state': '',
  });
  let session; // the live session on this call as last answered, or undefined
  const show = (s) => {
    session = s && s.stage !== 'ended' ? s : undefined;
    const mode = modes.find(([m]) => m === session?.mode)?.[1];
    state.textContent = session ? `${mode}·${stageNames[session.stage] ?? session.stage}` : '';
    for (const b of box.querySelectorAll('button[data-mode]')) {
      const on = b.dataset.mode === session?.mode;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', String(on));
    }
    stop.disabled = !session;
  };
  const run = async (action) => {
    try {
      show(await action());
      status('');
    } catch (err) {
      // A session that ended meanwhile (hung up, the call over) is no longer shown.
      const code = err?.body?.error;
      if (code === 'no-such-monitor') show(undefined);
      status(refusals[code] ?? describeError(err));
    }
  };
  const choose = (mode) =>
    run(() => {
      if (session) return api('PATCH', `/calls/${encodeURIComponent(callId)}/monitor`, { mode });
      const endpoint = options.endpoint ?? supervisorEndpoint();
      if (!endpoint) throw new Error('未设置您的话机，无法监听');
      return api('POST', `/calls/${encodeURIComponent(callId)}/monitor`, { mode, endpoint });
    });
  const stop = el(
    'button',
    { type: 'button', 'data-monitor-stop': '', disabled: true, onclick: () => run(() => stopSession()) },
    '结束',
  );
  const stopSession = async () => {
    await api('DELETE', `/calls/${encodeURIComponent(callId)}/monitor`);
    return undefined;
  };
  box.append(
    ...modes.map(([mode, label]) =>
      el('button', { type: 'button', 'data-mode': mode, onclick: () => choose(mode) }, label),
    ),
    stop,
    state,
  );
  // A session already running on the call (started from another screen) is shown; a page that
  // knows there is none (`probe: false`) does not ask.
  if (options.probe !== false)
    api('GET', `/calls/${encodeURIComponent(callId)}/monitor`).then(show, () => show(undefined));
  const added = row.tagName === 'TR' ? el('td', { class: 'monitor-cell' }, box) : box;
  row.append(added);
  return added;
}
