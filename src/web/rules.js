import { $, api, authLost, describeError, el, status, token } from './common.js';
import { runWhatIf, whatIfError } from './rules-whatif.js';

token();

let me;
let live;
let draft = {};
let current;
let problems = [];
/** What the last check of the draft warned about (it still publishes). */
let warnings = [];

const statusNames = { added: '新增', removed: '删除', changed: '修改', unchanged: '未变' };
const changeNames = { added: '新增', removed: '删除', changed: '修改', moved: '移动' };

/** The rules' sections as the preview of a publication or rollback names them. */
const sectionNames = {
  center: '中心设置',
  lines: '热线号码',
  groups: '号码分组与阶段',
  menus: '语音菜单',
  pools: '坐席池与排队',
  experts: '专家座席',
  subcenters: '分中心',
  departments: '部门原号码',
  emergency: '紧急热线',
  centers: '其他热线中心',
  directory: '转接通讯录',
  answers: '自动应答',
  selfService: '自助服务',
  callerClasses: '来电分类',
  schedules: '服务时间',
  calendars: '节假日日历',
};

/** Field names of the rules, in Chinese; a field not listed shows as written. */
const fieldNames = {
  id: '标识',
  name: '名称',
  number: '号码',
  mode: '归并方式',
  department: '责任单位',
  topic: '诉求类别',
  group: '所属分组',
  route: '去向设置',
  goto: '去向',
  prompts: '提示音',
  prompt: '提示音',
  skill: '技能',
  skills: '技能',
  priority: '优先级',
  source: '依据',
  entry: '条文',
  phases: '阶段',
  kind: '类型',
  from: '开始',
  until: '结束',
  queue: '排队',
  strategy: '分配策略',
  maxWaitSeconds: '最长等待（秒）',
  wrapUpSeconds: '话后处理（秒）',
  widenAfterSeconds: '扩大选人范围（秒）',
  announceEverySeconds: '排队播报间隔（秒）',
  callback: '回拨',
  offerAfterSeconds: '等待多久后提供回拨（秒）',
  key: '按键',
  attempts: '回拨次数',
  retryIntervalSeconds: '回拨间隔（秒）',
  hours: '服务时间',
  closed: '非服务时间去向',
  options: '选项',
  label: '说明',
  digits: '按键',
  default: '默认去向',
  enabled: '启用',
  timeoutSeconds: '等待按键（秒）',
  interDigitSeconds: '按键间隔（秒）',
  retries: '输错重试次数',
  timeoutRetries: '超时重试次数',
  invalidPrompt: '输错提示音',
  timeoutPrompt: '超时提示音',
  invalidFinalPrompt: '输错转人工提示音',
  timezone: '时区',
  serviceLevelSeconds: '服务水平（秒）',
  fallback: '转接失败去向',
  defaultPriority: '默认优先级',
  survey: '满意度调查',
  promptBudgetSeconds: '接通前提示音上限（秒）',
  areaCode: '区号',
  callers: '主叫号码',
  weekly: '每周时段',
  workdayHours: '工作日时段',
  calendar: '日历',
  always: '全天候',
  dial: '拨号串',
  next: '下一步',
};

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

/** The draft's warnings under the editor, each at its file and path (a click shows the place). */
function renderWarnings() {
  const list = $('#warnings');
  list.hidden = warnings.length === 0;
  list.replaceChildren(
    ...warnings.map((w) => el('li', { onclick: () => revealIn(w) }, `提醒：${formatProblem(w)}`)),
  );
}

/** Shows a problem's or warning's place in the editor, when it is in a file of the draft. */
function revealIn(p) {
  if (!(p.file in draft)) return;
  if (p.file !== current) select(p.file);
  reveal(p);
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
  warnings = [];
  renderFiles();
  renderWarnings();
}

async function validate() {
  if (current) draft[current] = $('#editor').value;
  const r = await api('POST', '/rules/validate', { files: draft });
  problems = r.problems;
  warnings = r.warnings;
  renderFiles();
  renderWarnings();
  if (r.valid)
    status(`校验通过${r.warnings.length ? `（${r.warnings.length}条提醒，见草稿下方）` : ''}`, 'ok');
  else status(`草稿有 ${r.problems.length} 个问题，未发布`);
  return r.valid;
}

/** A changed field's place, in Chinese: `阶段 › transition › 去向设置 › 去向`, `选项 › 按键1 › 说明`. */
function fieldLabel(segments) {
  return segments
    .map((s, i) => {
      if (!s.startsWith('[')) return fieldNames[s] ?? s;
      const id = s.slice(1, -1);
      return segments[i - 1] === 'options' ? `按键${id}` : id;
    })
    .join(' › ');
}

function summaryOf(preview, side) {
  const { counts, changes } = preview.diff;
  const against = `与线上版本 v${preview.from.version} 相比，${side}`;
  if (changes.length === 0) {
    return preview.files.length > 0
      ? `${against}的规则内容没有变化（只有文件的格式或注释不同）`
      : `${against}与之完全相同，没有改动`;
  }
  const parts = [
    counts.added && `新增 ${counts.added} 项`,
    counts.removed && `删除 ${counts.removed} 项`,
    counts.changed && `修改 ${counts.changed} 项`,
    counts.moved && `移到其他文件 ${counts.moved} 项`,
  ].filter(Boolean);
  return `${against}：${parts.join('，')}`;
}

/** The rules diff, by section: each item changed, and its fields with the value before and after. */
function diffSections(preview, side) {
  const bySection = new Map();
  for (const c of preview.diff.changes) {
    if (!bySection.has(c.section)) bySection.set(c.section, []);
    bySection.get(c.section).push(c);
  }
  return [...bySection].map(([section, changes]) =>
    el(
      'div',
      { class: 'rules-diff-section', 'data-section': section },
      el('h3', {}, `${sectionNames[section] ?? section}（${changes.length}）`),
      ...changes.map((c) =>
        el(
          'div',
          { class: `rules-change ${c.change}`, 'data-change': c.change, 'data-id': c.id },
          el(
            'div',
            { class: 'rules-change-head' },
            el('span', { class: 'rules-change-kind' }, changeNames[c.change] ?? c.change),
            ` ${c.id}${c.label ? ` · ${c.label}` : ''}`,
            el(
              'span',
              { class: 'muted' },
              c.movedFrom ? `（从 ${c.movedFrom} 移到 ${c.file}）` : `（${c.file}）`,
            ),
          ),
          c.lines?.length ? el('div', { class: 'muted' }, `分组内号码：${c.lines.join('、')}`) : null,
          c.fields.length
            ? el(
                'table',
                { class: 'rules-fields' },
                el(
                  'thead',
                  {},
                  el(
                    'tr',
                    {},
                    el('th', {}, '项目'),
                    el('th', {}, `线上 v${preview.from.version}`),
                    el('th', {}, side),
                  ),
                ),
                el(
                  'tbody',
                  {},
                  ...c.fields.map((f) =>
                    el(
                      'tr',
                      { 'data-path': f.path },
                      el('td', {}, fieldLabel(f.segments)),
                      el('td', { class: 'before' }, f.before ?? '（无）'),
                      el('td', { class: 'after' }, f.after ?? '（无）'),
                    ),
                  ),
                ),
              )
            : null,
        ),
      ),
    ),
  );
}

/**
 * Shows what a publication or rollback would change and waits for the user: true when confirmed;
 * false when cancelled (the button, or Esc), and then nothing is sent.
 */
function confirmChange(preview, { title, ok, side }) {
  const dialog = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-ok').textContent = ok;
  $('#confirm-summary').textContent = summaryOf(preview, side);
  const list = $('#confirm-warnings');
  list.hidden = preview.warnings.length === 0;
  list.replaceChildren(...preview.warnings.map((w) => el('li', {}, `提醒：${formatProblem(w)}`)));
  $('#confirm-diff').replaceChildren(...diffSections(preview, side));
  $('#confirm-files').textContent = preview.files.length
    ? `文件：${preview.files.map((d) => `${d.file} ${statusNames[d.status]} +${d.added}/-${d.removed}`).join('，')}`
    : '';
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

$('#confirm-ok').addEventListener('click', () => $('#confirm').close('ok'));
$('#confirm-cancel').addEventListener('click', () => $('#confirm').close('cancel'));

/** After a refused publication or rollback because someone published since the preview. */
async function conflicted(what) {
  await loadLive();
  await loadVersions();
  status(`预览之后线上规则已更新为 v${live.version}，本次${what}未执行；请重新操作，查看新的改动后再确认`);
}

/** Publishing: the draft is checked and its changes shown first; only a confirmation sends it. */
async function publish() {
  if (current) draft[current] = $('#editor').value;
  const files = { ...draft };
  let preview;
  try {
    preview = await api('POST', '/rules/publish/preview', { files });
  } catch (err) {
    if (err.body?.problems) {
      problems = err.body.problems;
      renderFiles();
    }
    status(describeError(err));
    return;
  }
  problems = [];
  warnings = preview.warnings;
  renderFiles();
  renderWarnings();
  if (!(await confirmChange(preview, { title: '确认发布为新版本', ok: '确认发布', side: '草稿' }))) {
    status('已取消发布，线上规则没有改动', 'ok');
    return;
  }
  try {
    const message = $('#message').value.trim();
    const r = await api('POST', '/rules/publish', {
      files,
      baseVersion: preview.baseVersion,
      ...(message ? { message } : {}),
    });
    await loadLive();
    await loadVersions();
    resetDraft();
    $('#message').value = '';
    status(`已发布 v${r.version}：新来电立即使用，通话中的来电按原版本处理完`, 'ok');
  } catch (err) {
    if (err.body?.error === 'version-conflict') return conflicted('发布');
    if (err.body?.problems) {
      problems = err.body.problems;
      renderFiles();
    }
    status(describeError(err));
  }
}

/** Rolling back: what it changes against the live version is shown first; only a confirmation sends it. */
async function rollback(version) {
  try {
    const preview = await api('GET', `/rules/versions/${version}/rollback/preview`);
    const title = `确认回滚到 v${version}`;
    if (!(await confirmChange(preview, { title, ok: '确认回滚', side: `v${version}` }))) {
      status('已取消回滚，线上规则没有改动', 'ok');
      return;
    }
    const r = await api('POST', `/rules/versions/${version}/rollback`, { baseVersion: preview.baseVersion });
    await loadLive();
    await loadVersions();
    resetDraft();
    status(`已回滚：v${r.version} 使用 v${version} 的规则文件`, 'ok');
  } catch (err) {
    if (err.body?.error === 'version-conflict') return conflicted('回滚');
    status(describeError(err));
  }
}

/** 试算: the draft and the live rules each replay a day; the comparison shows below the draft. */
async function whatIf() {
  if (current) draft[current] = $('#editor').value;
  status('');
  try {
    const r = await runWhatIf({ ...draft });
    problems = [];
    renderFiles();
    status(`试算完成：${r.date} 的 ${r.calls} 通来电，结果见下方`, 'ok');
    $('#whatif-result').scrollIntoView({ block: 'start' });
  } catch (err) {
    if (err.body?.problems) {
      problems = err.body.problems;
      renderFiles();
    }
    status(whatIfError(err) ?? describeError(err));
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
$('#whatif').addEventListener('click', guarded(whatIf));
$('#upload').addEventListener(
  'change',
  guarded((e) => upload([...e.target.files])),
);
loaded = start().catch((err) => status(describeError(err)));
