import { $, api, authLost, describeError, el, status, token } from './common.js';

token();

let me;
let live;
let draft = {};
let current;
let problems = [];

const statusNames = { added: '新增', removed: '删除', changed: '修改', unchanged: '未变' };

function renderFiles() {
  const names = Object.keys(draft).sort();
  if (!names.includes(current)) current = names[0];
  $('#files').replaceChildren(
    ...names.map((name) => {
      const count = problems.filter((p) => p.file === name).length;
      return el(
        'button',
        {
          class: `secondary ${name === current ? 'current' : ''} ${count ? 'has-problems' : ''}`,
          'data-file': name,
          onclick: () => select(name),
        },
        count ? `${name}（${count}个问题）` : name,
      );
    }),
  );
  $('#editor').value = current ? draft[current] : '';
  $('#file-problems').replaceChildren(
    ...problems
      .filter((p) => p.file === current)
      .map((p) => el('li', { onclick: () => reveal(p) }, formatProblem(p))),
  );
  $('#other-problems').replaceChildren(
    ...problems.filter((p) => !(p.file in draft)).map((p) => el('li', {}, formatProblem(p))),
  );
}

function formatProblem(p) {
  return `${p.file || '(草稿)'}${p.path ? `:${p.path}` : ''}: ${p.message}`;
}

function select(name) {
  if (current) draft[current] = $('#editor').value;
  current = name;
  renderFiles();
}

/** Moves the cursor to where a problem is: `@line:col`, else the first key of its path. */
function reveal(p) {
  const text = $('#editor').value;
  let offset = 0;
  const at = /^@(\d+):(\d+)$/.exec(p.path);
  if (at) {
    const lines = text.split('\n').slice(0, Number(at[1]) - 1);
    offset = lines.reduce((n, l) => n + l.length + 1, 0) + Number(at[2]) - 1;
  } else {
    const key = p.path
      .split('.')
      .at(-1)
      ?.replace(/\[\d+\]$/, '');
    const found = key ? text.indexOf(`${key}:`) : -1;
    if (found >= 0) offset = found;
  }
  const editor = $('#editor');
  editor.focus();
  editor.setSelectionRange(offset, offset + 1);
}

function diffView(diff) {
  const changed = diff.filter((d) => d.status !== 'unchanged');
  if (changed.length === 0) return el('span', { class: 'muted' }, '无改动');
  return el(
    'details',
    {},
    el(
      'summary',
      {},
      changed.map((d) => `${d.file} ${statusNames[d.status]} +${d.added}/-${d.removed}`).join('，'),
    ),
    ...changed.map((d) =>
      el(
        'pre',
        { class: 'diff' },
        ...d.lines.map((l) =>
          el('div', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '' }, l),
        ),
      ),
    ),
  );
}

async function loadLive() {
  live = await api('GET', '/rules');
  $('#live').textContent = `${live.center.name} · 线上版本 v${live.version}`;
  $('#base').textContent =
    `基于 v${live.version}（${live.author}，${new Date(live.at).toLocaleString('zh-CN')}）`;
}

async function loadVersions() {
  const { versions } = await api('GET', '/rules/versions');
  $('#versions tbody').replaceChildren(
    ...versions.map((v) =>
      el(
        'tr',
        { 'data-version': v.version },
        el('td', {}, `v${v.version}${v.version === live.version ? '（线上）' : ''}`),
        el('td', {}, v.author),
        el('td', {}, new Date(v.at).toLocaleString('zh-CN')),
        el(
          'td',
          {},
          v.rollbackOf ? `回滚到 v${v.rollbackOf}${v.message ? `：${v.message}` : ''}` : (v.message ?? ''),
        ),
        el('td', {}, diffView(v.diff)),
        el(
          'td',
          {},
          me.role === 'admin' && v.version !== live.version
            ? el(
                'button',
                { class: 'secondary', onclick: guarded(() => rollback(v.version)) },
                `回滚到 v${v.version}`,
              )
            : null,
        ),
      ),
    ),
  );
}

function resetDraft() {
  draft = { ...live.files };
  problems = [];
  renderFiles();
}

async function validate() {
  if (current) draft[current] = $('#editor').value;
  const r = await api('POST', '/rules/validate', { files: draft });
  problems = r.problems;
  renderFiles();
  if (r.valid) status(`校验通过${r.warnings.length ? `（${r.warnings.length}条提醒）` : ''}`, 'ok');
  else status(`草稿有 ${r.problems.length} 个问题，未发布`);
  return r.valid;
}

async function publish() {
  if (current) draft[current] = $('#editor').value;
  try {
    const message = $('#message').value.trim();
    const r = await api('POST', '/rules/publish', {
      files: draft,
      baseVersion: live.version,
      ...(message ? { message } : {}),
    });
    problems = [];
    await loadLive();
    await loadVersions();
    resetDraft();
    $('#message').value = '';
    status(`已发布 v${r.version}：新来电立即使用，通话中的来电按原版本处理完`, 'ok');
  } catch (err) {
    if (err.body?.problems) {
      problems = err.body.problems;
      renderFiles();
    }
    status(describeError(err));
  }
}

async function rollback(version) {
  try {
    const r = await api('POST', `/rules/versions/${version}/rollback`, { baseVersion: live.version });
    await loadLive();
    await loadVersions();
    resetDraft();
    status(`已回滚：v${r.version} 使用 v${version} 的规则文件`, 'ok');
  } catch (err) {
    status(describeError(err));
  }
}

async function explainCall() {
  if (current) draft[current] = $('#editor').value;
  const body = { number: $('#x-number').value.trim() };
  for (const [field, id] of [
    ['at', '#x-at'],
    ['digits', '#x-digits'],
    ['caller', '#x-caller'],
  ]) {
    const v = $(id).value.trim();
    if (v) body[field] = v;
  }
  if ($('#x-draft').checked) body.files = draft;
  try {
    const r = await api('POST', '/rules/explain', body);
    renderProvenance(r.explanation);
    $('#explanation').textContent = `对照：${r.against}\n${JSON.stringify(r.explanation, null, 2)}`;
    status('');
  } catch (err) {
    if (err.body?.problems) {
      problems = err.body.problems;
      renderFiles();
    }
    $('#explanation').textContent = '';
    renderProvenance(undefined);
    status(describeError(err));
  }
}

const decisionNames = {
  line: '号码',
  mode: '归并方式',
  phase: '阶段',
  dates: '阶段日期',
  prompts: '提示音',
  menu: '菜单',
  target: '去向',
  dial: '拨号串',
  hours: '服务时间',
  queue: '排队参数',
  priority: '优先级',
};

/** Each decision of the explained call and what it rests on: a quoted clause, or a local setting. */
function renderProvenance(x) {
  const t = x?.timeToTarget;
  $('#time-to-target').textContent = t
    ? `接通前提示音与菜单等待：${(t.ms / 1000).toFixed(1)} 秒（提示音 ${(t.promptMs / 1000).toFixed(1)} 秒，菜单等待 ${(t.menuWaitMs / 1000).toFixed(1)} 秒）${t.reachesPerson ? '' : '，未到人工'}${t.withoutDuration.length ? `；无时长：${t.withoutDuration.join('、')}` : ''}`
    : '';
  // What the caller hears, composed prompts read with the call's number and dates.
  const heard = x?.spoken?.text;
  $('#spoken-text').textContent = heard ? `来电听到：${heard}` : x ? '来电听到：（无提示音）' : '';
  const table = $('#provenance');
  const items = x?.provenance ?? [];
  table.hidden = items.length === 0;
  table
    .querySelector('tbody')
    .replaceChildren(
      ...items.map((p) =>
        el(
          'tr',
          {},
          el('td', {}, decisionNames[p.decision] ?? p.decision),
          el('td', {}, p.value),
          el('td', {}, p.rule),
          el(
            'td',
            { class: `basis-${p.basis}` },
            p.basis === 'document'
              ? `文件${p.document ? `《${p.document}》` : ''}：“${p.clause}”`
              : p.basis === 'local'
                ? `本地设置${p.reason ? `（${p.reason}）` : ''}`
                : '规则未标注来源',
          ),
        ),
      ),
    );
}

async function upload(files) {
  for (const f of files) {
    if (!/\.ya?ml$/.test(f.name)) continue;
    draft[f.name] = await f.text();
    current = f.name;
  }
  problems = [];
  renderFiles();
  status(`已载入 ${files.length} 个文件到草稿，请校验后发布`, 'ok');
}

async function start() {
  me = await api('GET', '/me');
  await loadLive();
  await loadVersions();
  resetDraft();
  const admin = me.role === 'admin';
  for (const id of ['#validate', '#publish', '#upload', '#reset', '#message']) $(id).disabled = !admin;
  $('#editor').readOnly = !admin;
  if (!admin) $('#x-draft').checked = false;
  $('#x-draft').disabled = !admin;
}

/** Settles once the page has loaded the live rules, their versions and the draft (see start). */
let loaded;

/**
 * A control's action once the page has loaded (a click during the load waits for it: the draft is
 * only then the live rules); its failure always shows in the status line.
 */
const guarded =
  (fn) =>
  async (...args) => {
    try {
      await loaded;
      if (!live) throw new Error(authLost() ? describeError(authLost()) : '线上规则尚未载入，操作未执行');
      await fn(...args);
    } catch (err) {
      status(describeError(err));
    }
  };

// Wired at once, so that a control used before the rules load (or after the token is found not
// valid) says why instead of doing nothing.
$('#validate').addEventListener('click', guarded(validate));
$('#publish').addEventListener('click', guarded(publish));
$('#reset').addEventListener('click', guarded(resetDraft));
$('#explain').addEventListener('click', guarded(explainCall));
$('#upload').addEventListener(
  'change',
  guarded((e) => upload([...e.target.files])),
);
loaded = start().catch((err) => status(describeError(err)));
