import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema } from '../../src/config.ts';
import { readEdgeConfig } from '../../src/edge/config.ts';

const root = join(import.meta.dirname, '../..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
interface BindMount {
  type: string;
  source: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean };
}
interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  volumes?: (string | BindMount)[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  network_mode?: string;
  profiles?: string[];
  command?: string[] | string;
  cpuset?: string;
}

/** The docker compose client, v2 plugin or v1 standalone, when this machine has one. */
function composeCli(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0)
    return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
  return undefined;
}
const cli = composeCli();

describe('docker-compose.yml', () => {
  it('runs Asterisk, Redis and the engine, each with a health check', () => {
    const always = Object.entries(compose.services).filter(([, s]) => s.profiles === undefined);
    expect(always.map(([name]) => name).sort()).toEqual(['asterisk', 'engine', 'redis']);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test, name).toBeDefined();
    }
  });

  it('adds the edge (drachtio-server and `hotline edge`) and a second Asterisk node b in the profile "nodes"', () => {
    const nodes = Object.entries(compose.services)
      .filter(([, s]) => s.profiles?.includes('nodes'))
      .map(([name]) => name);
    expect(nodes.sort()).toEqual(['asterisk-b', 'drachtio', 'edge']);
    expect(compose.services.drachtio!.image).toBe('drachtio/drachtio-server:0.9.10');
    const edge = compose.services.edge!;
    expect(edge.image).toBe(compose.services.engine!.image);
    expect(edge.command).toEqual(['node', 'bin/hotline.js', 'edge']);
    // drachtio's admin port and secret are the edge's
    const drachtio = (compose.services.drachtio!.command as string[]).join(' ');
    expect(drachtio).toContain(`--port ${new URL(edge.environment!.DRACHTIO_URL!).port}`);
    expect(drachtio).toContain(`--secret ${edge.environment!.DRACHTIO_SECRET}`);
    expect(drachtio).toContain('--address 127.0.0.1');
    // node b: the same image and configuration, its own name and addresses, its own astdb
    const a = compose.services.asterisk!;
    const b = compose.services['asterisk-b']!;
    expect(b.image).toBe(a.image);
    expect(b.environment!.NODE_NAME).toBe('b');
    expect(b.environment!.NODE_SIP_ADDRESS).toBeDefined();
    expect(b.environment!.NODE_CONTROL_ADDRESS).toBeDefined();
    expect(b.volumes).toContain('./dialplan:/etc/asterisk:ro');
    expect(b.volumes).toContain('asterisk-b-data:/var/lib/asterisk/db');
    expect(b.environment!.ARI_PASSWORD).toBe(a.environment!.ARI_PASSWORD);
    // node a keeps today's defaults: empty node settings are one node as before
    for (const name of ['NODE_NAME', 'NODE_SIP_ADDRESS', 'NODE_CONTROL_ADDRESS'])
      expect(a.environment![name], name).toMatch(/^\$\{NODE_A_\w+:-\}$/);
  });

  it('is explained in the guide: the nodes, the edge and every variable the compose file gives them', () => {
    const guide = readFileSync(join(root, 'dialplan/README.md'), 'utf8');
    const section = guide.slice(guide.indexOf('## Several nodes behind the SIP edge'));
    expect(section.length).toBeGreaterThan(1000);
    const own =
      /^(ARI_USER|ARI_PASSWORD|AMI_USER|AMI_SECRET|HOTLINE_RULES|REDIS_URL|LOG_LEVEL|HTTP_HOST|HTTP_PORT)$/;
    for (const name of ['asterisk-b', 'edge']) {
      for (const [variable, value] of Object.entries(compose.services[name]!.environment!)) {
        if (own.test(variable)) continue;
        expect(section, variable).toContain(`\`${variable}\``);
        for (const [, v] of String(value).matchAll(/\$\{(\w+)/g)) expect(section, v).toContain(`\`${v}\``);
      }
    }
    // and every variable the nodes' services read outside their environment (cpuset, command)
    for (const name of ['asterisk-b', 'drachtio', 'edge']) {
      const { environment: _, ...rest } = compose.services[name]!;
      for (const [, v] of JSON.stringify(rest).matchAll(/\$\{(\w+)/g))
        if (!own.test(v!)) expect(section, `${name}: ${v}`).toContain(`\`${v}\``);
    }
    for (const text of [
      'ARI_NODES',
      'AMI_NODES',
      'NODE_LOST_SECONDS',
      'pbx-lost',
      'PJSIP/<agent endpoint>@node-b',
    ])
      expect(section).toContain(text);
  });

  it('runs drachtio-server and the edge app on one CPU, EDGE_CPU', () => {
    const { drachtio, edge } = compose.services;
    expect(drachtio!.cpuset).toMatch(/^\$\{EDGE_CPU:-0\}$/);
    expect(edge!.cpuset).toBe(drachtio!.cpuset);
  });

  it('configures the edge with variables its configuration accepts, defaults included', () => {
    const env = Object.fromEntries(
      Object.entries(compose.services.edge!.environment!).map(([k, v]) => [
        k,
        v.replace(/\$\{\w+:?-([^}]*)\}/g, '$1'),
      ]),
    );
    const config = readEdgeConfig({ ...env, DRACHTIO_SECRET: 'test-only' });
    expect(config.nodes.map((n) => n.name)).toEqual(['a', 'b']);
    expect(config.peersFile).toBe('/app/dialplan/peers.yaml');
    expect(compose.services.edge!.volumes).toContain('./dialplan/peers.yaml:/app/dialplan/peers.yaml:ro');
    // its HTTP port is not the engine's
    expect(config.http.port).not.toBe(8080);
  });

  it('builds Asterisk from dialplan/Dockerfile and mounts the configuration and the prompts', () => {
    const asterisk = compose.services.asterisk!;
    expect(asterisk.build).toEqual({ context: './dialplan', dockerfile: 'Dockerfile' });
    expect(existsSync(join(root, 'dialplan/Dockerfile'))).toBe(true);
    expect(asterisk.volumes).toContain('./dialplan:/etc/asterisk:ro');
    expect(asterisk.volumes).toContain('./ivr-prompts:/var/lib/asterisk/sounds/hotline:ro');
  });

  it('builds the engine from the root Dockerfile with npm ci and starts it after its dependencies are healthy', () => {
    const engine = compose.services.engine!;
    expect(engine.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(engine.depends_on).toEqual({
      asterisk: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('configures the engine through every variable its configuration reads', () => {
    const env = compose.services.engine!.environment!;
    for (const name of [
      'ARI_URL',
      'ARI_NODES',
      'AMI_NODES',
      'NODE_LOST_SECONDS',
      'ARI_USER',
      'ARI_PASSWORD',
      'ARI_APP',
      'REDIS_URL',
      'HOTLINE_RULES',
      'HOTLINE_ROSTER',
      'HOTLINE_TOKENS',
      'HOTLINE_STATE_DIR',
      'HTTP_PORT',
      'LOG_LEVEL',
    ]) {
      expect(env, name).toHaveProperty(name);
      expect(Object.keys(ConfigSchema.shape)).toContain(name);
    }
    // the apps the committed dialplan spreads calls over are the engine's default apps
    const apps = /ARI_APP:-([^}]+)\}/.exec(env.ARI_APP ?? '')?.[1];
    expect(readFileSync(join(root, 'dialplan/extensions-generated.conf'), 'utf8')).toContain(
      `--apps ${apps} --peers dialplan/peers.yaml --out dialplan`,
    );
    // Asterisk and the engine share the ARI credentials
    expect(compose.services.asterisk!.environment!.ARI_PASSWORD).toBe(env.ARI_PASSWORD);
  });

  it('keeps ARI, AMI and Redis on loopback by sharing the host network', () => {
    for (const service of Object.values(compose.services)) expect(service.network_mode).toBe('host');
    expect(JSON.stringify(compose.services.redis)).toContain('"--bind","127.0.0.1"');
  });

  it.skipIf(!cli)('is accepted by `docker compose config -q`', () => {
    const [cmd, ...pre] = cli!;
    const r = spawnSync(cmd!, [...pre, 'config', '-q'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ARI_PASSWORD: 'test-only' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('asks for ARI_PASSWORD instead of shipping a default', () => {
    expect(compose.services.engine!.environment!.ARI_PASSWORD).toMatch(/^\$\{ARI_PASSWORD:\?/);
  });

  it('starts the engine with the roster and the tokens file of the mounted config folder, and refuses to start without them', () => {
    const engine = compose.services.engine!;
    const env = engine.environment!;
    const configDir = ['$', '{HOTLINE_CONFIG_DIR:-./config}'].join('');
    expect(engine.volumes).toContain(`${configDir}:/etc/hotline:ro`);
    for (const [variable, file] of [
      ['HOTLINE_ROSTER', 'agents.yaml'],
      ['HOTLINE_TOKENS', 'tokens.yaml'],
    ] as const) {
      expect(env[variable], variable).toBe(`/etc/hotline/${file}`);
      // A missing file stops `docker compose up` (no host path created, no engine restarting in a loop).
      const mount = engine.volumes!.find(
        (v): v is BindMount => typeof v !== 'string' && v.target === env[variable],
      );
      expect(mount, file).toEqual({
        type: 'bind',
        source: `${configDir}/${file}`,
        target: `/etc/hotline/${file}`,
        read_only: true,
        bind: { create_host_path: false },
      });
    }
    // The guide says how to make the tokens file.
    const guide = readFileSync(join(root, 'dialplan/README.md'), 'utf8');
    expect(guide).toMatch(/hotline\.js token --id \S+ --role admin/);
    expect(guide).toContain('config/tokens.yaml');
  });

  it('keeps everything the engine writes in a volume at the image state directory, and mounts nothing writable under /app', () => {
    const engine = compose.services.engine!;
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const stateDir = /HOTLINE_STATE_DIR=(\S+)/.exec(dockerfile)?.[1];
    expect(stateDir).toBe('/var/lib/hotline');
    expect(engine.environment!.HOTLINE_STATE_DIR).toBe(stateDir);
    expect(engine.volumes).toContain(`records:${stateDir}`);
    expect(Object.keys(compose.volumes)).toContain('records');
    // Paths of their own would take files out of the state directory.
    for (const name of [
      'HOTLINE_RECORDS',
      'RECORDS_OUTBOX_DIR',
      'HOTLINE_RULES_VERSIONS',
      'HOTLINE_AUDIT_LOG',
    ])
      expect(engine.environment, name).not.toHaveProperty(name);
    for (const v of engine.volumes!) {
      if (typeof v !== 'string') continue;
      const [, target, mode] = v.split(':');
      if (target?.startsWith('/app')) expect(mode, v).toBe('ro');
    }
  });
});

if (!cli) {
  // Printed once so a skipped check is visible in the run's output.
  console.warn(
    'docker compose (or docker-compose) is not installed here: `docker compose config -q` skipped',
  );
}
