import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * dialplan/docker-entrypoint.sh, run by sh outside a container: its fixed paths (/etc/asterisk,
 * /run/hotline, /var/spool/hotline) moved into a temporary folder, and `chown` and `asterisk`
 * stand-ins on PATH (the second prints the arguments it was started with).
 */
const dialplanDir = join(import.meta.dirname, '../../dialplan');
const script = readFileSync(join(dialplanDir, 'docker-entrypoint.sh'), 'utf8');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-entrypoint-'));
  mkdirSync(join(dir, 'etc'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'etc/asterisk.conf'), readFileSync(join(dialplanDir, 'asterisk.conf')));
  writeFileSync(join(dir, 'bin/chown'), '#!/bin/sh\nexit 0\n');
  writeFileSync(join(dir, 'bin/asterisk'), '#!/bin/sh\necho "asterisk $*"\n');
  chmodSync(join(dir, 'bin/chown'), 0o755);
  chmodSync(join(dir, 'bin/asterisk'), 0o755);
  writeFileSync(
    join(dir, 'entrypoint.sh'),
    script
      .replaceAll('/etc/asterisk', join(dir, 'etc'))
      .replaceAll('/run/hotline', join(dir, 'run'))
      .replaceAll('/var/spool/hotline', join(dir, 'spool')),
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function start(env: Record<string, string>): { code: number | null; out: string; err: string } {
  const r = spawnSync('sh', [join(dir, 'entrypoint.sh')], {
    encoding: 'utf8',
    env: {
      PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      ARI_USER: 'hotline',
      ARI_PASSWORD: 'test-only',
      ...env,
    },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const run = (name: string) => join(dir, 'run', name);

describe('docker-entrypoint.sh', () => {
  it('starts one node as before without NODE_NAME: the shipped asterisk.conf, no node files', () => {
    const r = start({});
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(
      `asterisk -f -U asterisk -G asterisk -vvv -C ${join(dir, 'etc/asterisk.conf')}`,
    );
    for (const f of ['asterisk.conf', 'node-pjsip.conf', 'node-http.conf', 'node-manager.conf'])
      expect(existsSync(run(f)), f).toBe(false);
  });

  it('names the node from NODE_NAME in a copy of asterisk.conf that Asterisk starts with', () => {
    const r = start({ NODE_NAME: 'b' });
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(`asterisk -f -U asterisk -G asterisk -vvv -C ${run('asterisk.conf')}`);
    const shipped = readFileSync(join(dir, 'etc/asterisk.conf'), 'utf8');
    expect(readFileSync(run('asterisk.conf'), 'utf8')).toBe(
      shipped.replace(/^;systemname = .*$/m, 'systemname = b'),
    );
  });

  it('refuses a NODE_NAME outside the contract, before Asterisk starts', () => {
    for (const bad of ['B', '1a', 'node-b', 'b;x', 'abcdefghijklmnopq', 'a b']) {
      const r = start({ NODE_NAME: bad });
      expect(r.code, bad).toBe(64);
      expect(r.out).toBe('');
      expect(r.err).toContain('NODE_NAME must be a lower-case letter');
    }
  });

  it('binds SIP, ARI and AMI to the node addresses through the files pjsip.conf, http.conf and manager.conf include', () => {
    const r = start({ NODE_NAME: 'a', NODE_SIP_ADDRESS: '192.0.2.21', NODE_CONTROL_ADDRESS: '127.0.0.21' });
    expect(r.code).toBe(0);
    expect(readFileSync(run('node-pjsip.conf'), 'utf8')).toBe(
      '[transport-udp](+)\nbind = 192.0.2.21:5060\n\n[transport-tcp](+)\nbind = 192.0.2.21:5060\n',
    );
    expect(readFileSync(run('node-http.conf'), 'utf8')).toBe('[general](+)\nbindaddr = 127.0.0.21\n');
    expect(readFileSync(run('node-manager.conf'), 'utf8')).toBe('[general](+)\nbindaddr = 127.0.0.21\n');
    for (const [conf, file] of [
      ['pjsip.conf', 'node-pjsip.conf'],
      ['http.conf', 'node-http.conf'],
      ['manager.conf', 'node-manager.conf'],
    ])
      expect(readFileSync(join(dialplanDir, conf!), 'utf8')).toContain(`#tryinclude "/run/hotline/${file}"`);
    // a restart without them leaves none behind
    expect(start({}).code).toBe(0);
    expect(existsSync(run('node-pjsip.conf'))).toBe(false);
  });

  it('refuses a node address that is no IPv4 address', () => {
    for (const bad of ['192.0.2', '192.0.2.1.5', 'host.example', '192.0.2.1:5060', '1..2.3']) {
      const r = start({ NODE_SIP_ADDRESS: bad });
      expect(r.code, bad).toBe(64);
      expect(r.err).toContain('NODE_SIP_ADDRESS must be an IPv4 address');
    }
    expect(start({ NODE_CONTROL_ADDRESS: 'x' }).err).toContain(
      'NODE_CONTROL_ADDRESS must be an IPv4 address',
    );
  });
});
