import { $, api, describeError, el, poll, stateNames, status, token } from './common.js';

// 坐席管理: the roster (GET /roster/agents), and for administrators a form that adds an agent
// (POST) or changes one (PUT), and buttons that disable or enable one. Supervisors read only.

token();

let canEdit = false;
let editing; // the id of the agent being changed, or undefined when adding
let plan = { pools: [], expertSeats: [] };

/** The form's input for a field the API names (`body.pools.1` → the pools' checkboxes). */
const inputs = {
  id: '#f-id',
  name: '#f-name',
  endpoint: '#f-endpoints',
  endpoints: '#f-endpoints',
  skills: '#f-skills',
  pools: '#f-pools',
  expertSeats: '#f-seats',
  department: '#f-department',
};

function clearInvalid() {
  for (const node of document.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

/** The form's labels, to say in Chinese which field the API refused. */
const labels = {
  id: '工号',
  name: '姓名',
  endpoint: '话机',
  endpoints: '话机',
  skills: '技能',
  pools: '综合座席池',
  expertSeats: '专家座席',
  department: '部门',
};

function showError(err) {
  const field = err?.body?.field?.split('.')[1];
  status(labels[field] ? `${labels[field]}有误：${describeError(err)}` : describeError(err));
  const selector = inputs[field];
  if (selector) {
    $(selector).setAttribute('aria-invalid', 'true');
    $(selector).focus?.();
  }
}

const nameOf = (list, id) => list.find((x) => x.id === id)?.name ?? id;

function phones(a) {
  return [a.endpoint, ...(a.endpoints ?? [])].filter(Boolean).join('，') || `PJSIP/${a.id}`;
}

function skillsText(skills) {
  return Object.entries(skills ?? {})
    .map(([k, v]) => `${k}:${v}`)
    .join(', ');
}

function render(agents) {
  $('#agents tbody').replaceChildren(
    ...agents.map((a) =>
      el(
        'tr',
        { 'data-agent': a.id, class: a.disabled ? 'disabled' : '' },
        el('td', {}, a.id),
        el('td', {}, a.name),
        el('td', {}, phones(a)),
        el('td', {}, skillsText(a.skills) || '—'),
        el('td', {}, a.pools.map((p) => nameOf(plan.pools, p)).join('，') || '—'),
        el('td', {}, a.expertSeats.map((s) => nameOf(plan.expertSeats, s)).join('，') || '—'),
        el('td', {}, a.department ?? '—'),
        el(
          'td',
          { class: 'state-cell' },
          el('span', { class: `state ${a.state}` }, stateNames[a.state] ?? a.state),
        ),
        el('td', { class: 'enabled' }, a.disabled ? '已停用' : '启用'),
        el(
          'td',
          {},
          canEdit &&
            el('button', { type: 'button', class: 'secondary edit', onclick: () => edit(a) }, '修改'),
          canEdit &&
            (a.disabled
              ? el(
                  'button',
                  { type: 'button', class: 'secondary enable', onclick: () => toggle(a, false) },
                  '启用',
                )
              : el(
                  'button',
                  { type: 'button', class: 'danger disable', onclick: () => toggle(a, true) },
                  '停用',
                )),
        ),
      ),
    ),
  );
}

function renderChoices(box, list, chosen) {
  box.replaceChildren(
    ...list.map((q) =>
      el(
        'label',
        {},
        el('input', { type: 'checkbox', value: q.id, checked: chosen.includes(q.id) }),
        ` ${q.name}（${q.id}）`,
      ),
    ),
  );
}

function checked(box) {
  return [...box.querySelectorAll('input:checked')].map((i) => i.value);
}

async function load() {
  const data = await api('GET', '/roster/agents');
  const firstTime = plan.pools.length === 0 && plan.expertSeats.length === 0;
  plan = { pools: data.pools, expertSeats: data.expertSeats };
  if (firstTime) resetForm();
  render(data.agents);
}

function resetForm() {
  editing = undefined;
  clearInvalid();
  $('#form-title').textContent = '添加坐席';
  $('#save').textContent = '添加坐席';
  $('#cancel').hidden = true;
  $('#f-id').disabled = false;
  for (const id of ['#f-id', '#f-name', '#f-endpoints', '#f-skills', '#f-department']) $(id).value = '';
  renderChoices($('#f-pools'), plan.pools, []);
  renderChoices($('#f-seats'), plan.expertSeats, []);
}

function edit(a) {
  editing = a.id;
  clearInvalid();
  $('#form-title').textContent = `修改坐席 ${a.id}`;
  $('#save').textContent = '保存修改';
  $('#cancel').hidden = false;
  $('#f-id').value = a.id;
  $('#f-id').disabled = true;
  $('#f-name').value = a.name;
  $('#f-endpoints').value = [a.endpoint, ...(a.endpoints ?? [])].filter(Boolean).join(', ');
  $('#f-skills').value = skillsText(a.skills);
  $('#f-department').value = a.department ?? '';
  renderChoices($('#f-pools'), plan.pools, a.pools);
  renderChoices($('#f-seats'), plan.expertSeats, a.expertSeats);
  $('#f-name').focus();
}

const split = (text) =>
  text
    .split(/[,，;；\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** `general:5, tax:3` → { general: 5, tax: 3 }; a level that is not a number is sent as typed (the API names it). */
function parseSkills(text) {
  const skills = {};
  for (const item of split(text)) {
    const [name, level = ''] = item.split(/[:：]/);
    skills[name] = /^\d+$/.test(level) ? Number(level) : level;
  }
  return skills;
}

function formBody() {
  const [endpoint, ...endpoints] = split($('#f-endpoints').value);
  const department = $('#f-department').value.trim();
  return {
    name: $('#f-name').value.trim(),
    ...(endpoint ? { endpoint } : {}),
    ...(endpoints.length > 0 ? { endpoints } : {}),
    skills: parseSkills($('#f-skills').value),
    pools: checked($('#f-pools')),
    expertSeats: checked($('#f-seats')),
    ...(department ? { department } : {}),
  };
}

async function save() {
  clearInvalid();
  try {
    if (editing) {
      const changed = await api('PUT', `/roster/agents/${encodeURIComponent(editing)}`, formBody());
      status(`已保存坐席 ${changed.id}，立即生效`, 'ok');
    } else {
      const added = await api('POST', '/roster/agents', { id: $('#f-id').value.trim(), ...formBody() });
      status(`已添加坐席 ${added.id}，立即生效`, 'ok');
    }
    resetForm();
    await load();
  } catch (err) {
    showError(err);
  }
}

async function toggle(a, disable) {
  if (disable && !confirm(`停用坐席 ${a.id}（${a.name}）？停用后不再分配来电，通话中的坐席先完成当前通话。`))
    return;
  try {
    await api('POST', `/roster/agents/${encodeURIComponent(a.id)}/${disable ? 'disable' : 'enable'}`);
    status(disable ? `已停用坐席 ${a.id}` : `已启用坐席 ${a.id}`, 'ok');
    await load();
  } catch (err) {
    showError(err);
  }
}

async function start() {
  try {
    const me = await api('GET', '/me');
    canEdit = me.role === 'admin';
    $('#who').textContent = canEdit ? `管理员 ${me.tokenId}` : `值班长 ${me.tokenId}（只读）`;
  } catch (err) {
    status(describeError(err));
    return;
  }
  $('#editor').hidden = !canEdit;
  $('#save').addEventListener('click', save);
  $('#cancel').addEventListener('click', resetForm);
  poll(load, 5_000);
}

start();
