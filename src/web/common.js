// Shared by the pages: the token (from #token=…, kept in sessionStorage), API calls with it,
// an element builder that never parses HTML, and a server-sent-events reader over fetch (so the
// token travels in the Authorization header, never in a URL). Once the service says the token is
// not valid (401, or 429 for a bad token from an address that failed too often), the page stops
// every refresh and stream, sends nothing more, and says why until it is opened with a new token.
const TOKEN_KEY = 'hotline.token';

export function token() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

// A new address pasted into this tab's address bar changes only the hash: start again with it.
addEventListener('hashchange', () => {
  if (/(?:^|[#&])token=/.test(location.hash)) {
    token();
    location.reload();
  }
});

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

let authError; // the answer that showed this page's token is not valid; then nothing more is sent
const onLost = new Set();

/** The error that stopped the page (its token is not valid), or undefined. */
export function authLost() {
  return authError;
}

/** Runs fn once the page's token is found not valid (to stop a refresh, a stream…). */
export function onAuthLost(fn) {
  if (authError) fn(authError);
  else onLost.add(fn);
}

function lose(err) {
  if (authError) return;
  authError = err;
  document.documentElement.dataset.auth = 'lost';
  for (const fn of onLost) fn(err);
  onLost.clear();
  status(describeError(err));
}

const isAuthFailure = (err) => err instanceof ApiError && (err.status === 401 || err.status === 429);

export async function api(method, path, body) {
  if (authError) throw authError;
  const t = token();
  if (!t) {
    const err = new ApiError(401, { error: 'unauthorized', message: 'a bearer token is required' });
    err.noToken = true;
    lose(err);
    throw err;
  }
  const headers = { authorization: `Bearer ${t}` };
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
  if (!res.ok) {
    const err = new ApiError(res.status, data, res.headers.get('retry-after'));
    if (isAuthFailure(err)) lose(err);
    throw err;
  }
  return data;
}

/**
 * Runs fn now (or after `ms` with `wait`) and again `ms` after each run has finished, until the
 * page's token is found not valid; an error it throws shows in the status line.
 */
export function poll(fn, ms, { wait = false } = {}) {
  let timer;
  const run = async () => {
    try {
      await fn();
    } catch (err) {
      status(describeError(err));
    } finally {
      if (!authError) timer = setTimeout(run, ms);
    }
  };
  onAuthLost(() => clearTimeout(timer));
  if (wait) timer = setTimeout(run, ms);
  else run();
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

/**
 * Shows an error (or clears it) in the page's status line. Once the token is found not valid, the
 * line keeps saying so (whatever else is shown), so that no button fails silently.
 */
export function status(message, kind = 'error') {
  const box = $('#status');
  if (!box) return;
  if (authError) {
    message = describeError(authError);
    kind = 'error';
  }
  box.textContent = message ?? '';
  box.className = message ? `status ${kind}` : 'status';
}

const newToken =
  '请用服务本次启动时打印的地址（带 #token=…）重新打开本页，或把它粘贴到本标签页的地址栏；' +
  '正式部署请向管理员申请新令牌（hotline token）。';

export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.status === 401 && err.noToken) {
      return `本页没有令牌，已停止自动刷新，操作也不会执行。${newToken}`;
    }
    if (err.status === 401) {
      return (
        '令牌无效，本页已停止自动刷新，操作也不会执行。这个令牌可能来自本服务的上一次运行' +
        `（每次 npm start 都会生成新的演示令牌），也可能已被撤销。${newToken}`
      );
    }
    if (err.status === 403) return '无权限执行此操作';
    if (err.status === 429) {
      const wait = Number(err.retryAfter) > 0 ? `（约 ${err.retryAfter} 秒后才可再试）` : '';
      return (
        `令牌无效，且本机所在地址认证失败次数过多${wait}，本页已停止自动刷新，操作也不会执行。` +
        `这个令牌可能来自本服务的上一次运行。${newToken}`
      );
    }
    return `${err.body?.error ?? err.status}: ${err.message}`;
  }
  return String(err?.message ?? err);
}

/** Reads a server-sent-events stream; calls onEvent(name, data). Reconnects after a drop. */
export function streamEvents(path, onEvent, onState = () => {}) {
  let stopped = false;
  let controller;
  onAuthLost(() => {
    stopped = true;
    controller?.abort();
  });
  const run = async () => {
    while (!stopped && !authError) {
      controller = new AbortController();
      try {
        const res = await fetch(path, {
          headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (!res.ok) {
          const err = new ApiError(
            res.status,
            await res.json().catch(() => undefined),
            res.headers.get('retry-after'),
          );
          if (isAuthFailure(err)) lose(err);
          throw err;
        }
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
        if (authError || (err instanceof ApiError && err.status === 403)) return;
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
