import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENGINE_PROMPTS, enginePlayed } from '../../src/prompts/engine-prompts.ts';
import type { PromptManifest } from '../../src/prompts/manifest.ts';
import { notFoundPrompts, statusPrompts } from '../../src/ticketing/ticket-status.ts';

const root = join(import.meta.dirname, '../..');
const manifest = parse(readFileSync(join(root, 'ivr-prompts/manifest.yaml'), 'utf8')) as PromptManifest;
const ids = new Set(manifest.prompts.map((p) => p.id));
const listed = new Set(ENGINE_PROMPTS.flatMap((e) => e.ids));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && f.name.endsWith('.ts'))
    .map((f) => join(f.parentPath, f.name));
}

describe('the prompts the engine plays by itself', () => {
  it('include every prompt id the call session code names', () => {
    const named = new Set<string>();
    for (const file of sources(join(root, 'src/calls/core'))) {
      // a call's disposition `deregistered-notice` shares its name with the prompt
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => !/disposition|^\s*\|/.test(l));
      for (const m of lines.join('\n').matchAll(/'([a-z0-9-]+)'/g)) {
        if (ids.has(m[1]!)) named.add(m[1]!);
      }
    }
    expect([...named].sort()).toEqual(
      expect.arrayContaining(['queue-hold', 'ticket-created', 'transfer-failed']),
    );
    for (const id of named) expect(listed, id).toContain(id);
  });

  it("include every prompt Asterisk's safety net plays", () => {
    const dialplan = ['extensions.conf', 'queues.conf'].map((f) =>
      readFileSync(join(root, 'dialplan', f), 'utf8'),
    );
    const played = dialplan.flatMap((text) => [...text.matchAll(/hotline\/([a-z0-9-]+)/g)].map((m) => m[1]!));
    const prompts = played.filter((id) => ids.has(id));
    expect(prompts).toContain('fallback-leave-message');
    for (const id of prompts) expect(listed, id).toContain(id);
  });

  it('include the read-outs of the progress self-query only for plans that have one', () => {
    const readOuts = [
      ...statusPrompts({ status: 'dispatched', daysOpen: 12 }),
      ...statusPrompts({ status: 'unknown' }),
      ...notFoundPrompts(),
    ];
    for (const id of readOuts) expect(enginePlayed({ progressQuery: true })).toContain(id);
    expect(enginePlayed({ progressQuery: false }).has('ticket-status-dispatched')).toBe(false);
  });

  it('are all in the shipped manifest', () => {
    for (const id of listed) expect(ids, id).toContain(id);
  });
});
