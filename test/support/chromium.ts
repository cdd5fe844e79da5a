import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import { expect } from 'vitest';
import { root } from './engine-harness.ts';

/**
 * What every page test shares: Debian's Chromium, headless, with the flags this machine needs
 * (no background networking: its connections are refused here), where screenshots go, the API
 * on a loopback port, and waiting on a condition in the page.
 */
export const CHROMIUM = '/usr/bin/chromium';

/** Screenshots the tests save: test-results/ at the project's root (git-ignored). */
export const shots = join(root, 'test-results');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the web page tests need Chromium at ${CHROMIUM}: install it with "apt-get install chromium" (.ci/run does)`,
    );
  }
  mkdirSync(shots, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Starts the API on a free loopback port; its base address. */
export async function listenOnLoopback(api: FastifyInstance): Promise<string> {
  await api.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;
}

/** Waits (on the condition, polled) until what `read` returns passes; generous for a loaded machine. */
export const until = <T>(read: () => T | Promise<T>, timeout = 15_000) =>
  expect.poll(read, { timeout, interval: 50 });
