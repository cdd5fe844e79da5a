import { $, api, describeError, el, status, token } from './common.js';

token();

async function start() {
  let doc;
  try {
    doc = await api('GET', '/docs/openapi.json');
  } catch (err) {
    status(describeError(err));
    return;
  }
  $('#title').textContent = `${doc.info.title} (OpenAPI ${doc.openapi})`;
  $('#description').textContent = doc.info.description;
  const rows = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      rows.push(
        el(
          'tr',
          {},
          el('td', { class: 'method' }, method.toUpperCase()),
          el('td', {}, el('code', {}, path)),
          el('td', {}, op.summary),
          el('td', { class: 'muted' }, op.description),
        ),
      );
    }
  }
  $('#routes tbody').replaceChildren(...rows);
  $('#json').textContent = JSON.stringify(doc, null, 2);
}

start();
