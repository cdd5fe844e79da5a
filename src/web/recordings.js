import { $, ApiError, api, describeError, el, onAuthLost, status, token } from './common.js';

// 通话录音: the recorded calls kept (GET /recordings, callers masked as everywhere) and a player.
// The audio comes through the API (GET /recordings/:id) with the page's token in the
// Authorization header, never in a URL: it is fetched, then played from a blob: address.

token();

const dispositions = {
  answered: '已接听',
  transferred: '已转接',
  ticketed: '已派单',
  'abandoned-ivr': '语音导航中挂断',
  'abandoned-queue': '排队中挂断',
  'abandoned-ringing': '振铃中挂断',
  'self-service': '自助服务',
  'pbx-lost': '交换机故障',
};

const time = (iso) =>
  iso ? new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '—';

let playing; // the blob: address playing now (revoked when another recording starts)

async function play(name, label) {
  const player = $('#player');
  $('#now-playing').textContent = `正在加载：${label}`;
  try {
    if (!token()) throw new ApiError(401, { error: 'unauthorized' });
    const res = await fetch(`/recordings/${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${token()}` },
    });
    if (!res.ok) {
      let body;
      try {
        body = await res.json();
      } catch {}
      throw new ApiError(res.status, body);
    }
    const blob = await res.blob();
    if (playing) URL.revokeObjectURL(playing);
    playing = URL.createObjectURL(blob);
    player.src = playing;
    player.dataset.recording = name;
    $('#now-playing').textContent = `正在播放：${label}（${Math.round(blob.size / 1024)} KB）`;
    status('');
    await player.play().catch(() => undefined);
  } catch (err) {
    $('#now-playing').textContent = '无法播放这段录音。';
    status(
      err instanceof ApiError && err.status === 404
        ? '录音不存在（可能已超过保存期限被删除）'
        : describeError(err),
    );
  }
}

function row(call) {
  const c = call.call;
  const buttons = call.recordings.map((name, i) => {
    const label = `${c?.caller ?? call.callId} 的录音${call.recordings.length > 1 ? ` ${i + 1}` : ''}`;
    return el(
      'button',
      { type: 'button', class: 'secondary play', 'data-recording': name, onclick: () => play(name, label) },
      call.recordings.length > 1 ? `播放 ${i + 1}` : '播放',
    );
  });
  return el(
    'tr',
    { 'data-call': call.callId },
    el('td', {}, time(call.startedAt)),
    el('td', { class: 'caller' }, c?.caller ?? '—'),
    el('td', {}, c?.dialed ?? '—'),
    el('td', {}, c?.line ?? '—'),
    el('td', {}, c?.agentId ?? '—'),
    el('td', {}, c?.disposition ? (dispositions[c.disposition] ?? c.disposition) : '—'),
    el('td', {}, ...buttons),
  );
}

async function refresh() {
  try {
    const data = await api('GET', '/recordings?limit=100');
    const rows = $('#rows');
    rows.replaceChildren(...data.recordings.map(row));
    if (data.recording === 'off') status('录音功能已关闭（RECORDING=off），没有可回放的录音。', 'info');
    else if (data.recordings.length === 0) status('暂无录音。', 'info');
    else status('');
    $('#count').textContent = `共 ${data.recordings.length} 通`;
    $('#updated').textContent = `更新于 ${time(new Date().toISOString())}`;
  } catch (err) {
    status(describeError(err));
  }
}

$('#refresh').addEventListener('click', refresh);
onAuthLost(() => $('#refresh').setAttribute('disabled', ''));
refresh();
