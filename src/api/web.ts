import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { HotlineError } from '../errors.ts';

/** The folder of the pages: static HTML, CSS and JavaScript, no build step. */
export const webDir = fileURLToPath(new URL('../web/', import.meta.url));

/** The wallboard's charts: echarts' browser build from the npm package, served as `/web/echarts.min.js`. */
const echartsFile = createRequire(import.meta.url).resolve('echarts/dist/echarts.common.min.js');
/** The reports page's heat map is not in the common build: the full one, `/web/echarts.full.min.js`. */
const echartsFullFile = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Pages load only their own scripts and styles and talk only to this service. */
const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    // Recordings play from audio the page fetched with its token (a blob: URL).
    "media-src 'self' blob:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The web pages (`/web/wallboard.html`, `/web/agent.html`, `/web/rules.html`, `/web/reports.html`, `/docs`), their
 * assets and the icon (`/favicon.ico`). They are shells: the data comes from the API with the token the page was opened with
 * (`#token=…`, kept in sessionStorage, never sent in a URL).
 */
export const webPages: FastifyPluginAsync = async (app) => {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(webDir)) {
    const type = types[extname(name)];
    if (type) files.set(name, { type, body: readFileSync(join(webDir, name)) });
  }
  files.set('echarts.min.js', { type: types['.js']!, body: readFileSync(echartsFile) });
  files.set('echarts.full.min.js', { type: types['.js']!, body: readFileSync(echartsFullFile) });
  const send = (reply: FastifyReply, name: string, headers: Record<string, string> = {}) => {
    const f = files.get(name);
    if (!f) throw new HotlineError('not-found', 'no such page');
    return reply
      .headers({ ...securityHeaders, ...headers })
      .type(f.type)
      .send(f.body);
  };
  app.get('/web/:file', async (req, reply) => send(reply, (req.params as { file: string }).file));
  app.get('/docs', async (_req, reply) => send(reply, 'docs.html'));
  // Browsers ask for it by themselves, with no token: public, so it never counts as a failure.
  app.get('/favicon.ico', async (_req, reply) =>
    send(reply, 'favicon.ico', { 'cache-control': 'public, max-age=86400' }),
  );
  app.get('/', async (_req, reply) => reply.redirect('/web/wallboard.html'));
};
