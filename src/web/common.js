// Shared by the pages: the token (from #token=…, kept in sessionStorage), API calls with it,
// an element builder that never parses HTML, and a server-sent-events reader over fetch (so the
// token travels in the Authorization header, never in a URL).
const TOKEN_KEY = 'hotline.token';

export function token() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** el('td', { class: 'x', onclick: fn }, 'text', child…) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function $(selector) {
  return document.querySelector(selector);
}

/** Shows an error (or clears it) in the page's status line. */
export function status(message, kind = 'error') {
  const box = $('#status');
  if (!box) return;
  box.textContent = message ?? '';
  box.className = message ? `status ${kind}` : 'status';
}

export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return '未登录或令牌无效（请用带 #token= 的地址打开本页）';
    if (err.status === 403) return '无权限执行此操作';
    if (err.status === 429) return '认证失败次数过多，请稍后再试';
    return `${err.body?.error ?? err.status}: ${err.message}`;
  }
  return String(err?.message ?? err);
}

/** Reads a server-sent-events stream; calls onEvent(name, data). Reconnects after a drop. */
export function streamEvents(path, onEvent, onState = () => {}) {
  let stopped = false;
  let controller;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch(path, {
          headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => undefined));
        onState(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const name = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (name && data) onEvent(name, JSON.parse(data));
            cut = buffer.indexOf('\n\n');
          }
        }
      } catch (err) {
        if (stopped) return;
        onState(false, err);
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return;
      }
      onState(false);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

export function seconds(s) {
  if (s === null || s === undefined) return '—';
  const n = Math.round(s);
  if (n < 60) return `${n}秒`;
  const m = Math.floor(n / 60);
  return m < 60 ? `${m}分${n % 60}秒` : `${Math.floor(m / 60)}时${m % 60}分`;
}

export function percent(r) {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`;
}

export const stateNames = {
  'logged-out': '未登录',
  ready: '就绪',
  'not-ready': '未就绪',
  reserved: '振铃',
  'on-call': '通话中',
  'wrap-up': '话后处理',
};
