import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIP_CALL_ID_VARIABLE } from '../../src/telephony/sip-call-id.ts';
import { dialplanSteps, parseConf } from './asterisk-conf.ts';

const dialplanDir = join(import.meta.dirname, '../../dialplan');
const read = (name: string) => readFileSync(join(dialplanDir, name), 'utf8');

/** The module that provides each dialplan application the configuration uses. */
const moduleOfApp: Record<string, string> = {
  Answer: 'core',
  Goto: 'core',
  GotoIf: 'core',
  Hangup: 'core',
  NoOp: 'core',
  Ringing: 'core',
  Set: 'core',
  Wait: 'core',
  Dial: 'app_dial.so',
  Echo: 'app_echo.so',
  Log: 'app_verbose.so',
  Playback: 'app_playback.so',
  Queue: 'app_queue.so',
  Record: 'app_record.so',
  Stasis: 'app_stasis.so',
};
const moduleOfFunction: Record<string, string> = {
  CALLERID: 'func_callerid.so',
  CHANNEL: 'func_channel.so',
  FILE: 'func_env.so',
  FILTER: 'func_strings.so',
  PJSIP_ENDPOINT: 'func_pjsip_endpoint.so',
  RAND: 'func_rand.so',
  REGEX: 'func_strings.so',
  STRFTIME: 'func_strings.so',
};

describe('modules.conf', () => {
  const modules = parseConf(read('modules.conf')).sections[0]!;
  const loaded = modules.entries.filter(([k]) => k === 'load').map(([, v]) => v);

  it('loads nothing implicitly', () => {
    expect(modules.entries).toContainEqual(['autoload', 'no']);
  });

  it('loads the module of every application and function the dialplan uses', () => {
    const text = `${read('extensions.conf')}\n${read('extensions-generated.conf')}`;
    for (const step of dialplanSteps(parseConf(text))) {
      const module = moduleOfApp[step.app];
      expect(module, `unknown application ${step.app}`).toBeDefined();
      if (module !== 'core') expect(loaded, step.app).toContain(module);
    }
    for (const [, fn] of text.matchAll(/\$\{([A-Z_]+)\(/g)) {
      const module = moduleOfFunction[fn!];
      expect(module, `unknown function ${fn}`).toBeDefined();
      expect(loaded, fn).toContain(module);
    }
  });

  it('loads SIP registration, ARI and the media the endpoints offer', () => {
    for (const m of [
      'chan_pjsip.so',
      'res_pjsip_registrar.so',
      'res_pjsip_authenticator_digest.so',
      'res_pjsip_endpoint_identifier_ip.so',
      'res_ari_channels.so',
      'res_ari_events.so',
      'res_http_websocket.so',
      'res_websocket_client.so',
      'res_rtp_multicast.so',
      'codec_ulaw.so',
      'codec_alaw.so',
      'format_wav.so',
      'res_musiconhold.so',
      'bridge_softmix.so',
    ]) {
      expect(loaded).toContain(m);
    }
  });
});

/**
 * Dependencies a module declares on Asterisk 22.10.1 (`.requires` of its AST_MODULE_INFO): with
 * `autoload = no` a missing one makes the module fail to load. The end-to-end suite checks on the
 * real build that every `load =>` module runs (test/asterisk).
 */
const requires: Record<string, string[]> = {
  'res_ari.so': ['res_stasis.so', 'res_http_websocket.so', 'res_websocket_client.so'],
  'app_stasis.so': ['res_stasis.so', 'res_ari.so'],
  'chan_rtp.so': ['res_rtp_multicast.so'],
  'chan_pjsip.so': ['res_pjsip.so', 'res_pjsip_session.so', 'res_pjsip_pubsub.so'],
  'res_pjsip_session.so': ['res_pjsip.so'],
  'res_pjsip.so': [
    'res_pjproject.so',
    'res_sorcery_config.so',
    'res_sorcery_memory.so',
    'res_sorcery_astdb.so',
  ],
};

describe('modules.conf on Asterisk 22.10.1', () => {
  const loaded = parseConf(read('modules.conf'))
    .sections[0]!.entries.filter(([k]) => k === 'load')
    .map(([, v]) => v);

  it('loads what each loaded module requires (res_ari needs res_websocket_client, chan_rtp res_rtp_multicast)', () => {
    for (const [module, needs] of Object.entries(requires)) {
      if (!loaded.includes(module)) continue;
      for (const need of needs) expect(loaded, `${module} requires ${need}`).toContain(need);
    }
  });
});

describe('the management interfaces', () => {
  it('bind ARI and AMI to loopback, with a documented HTTP session limit', () => {
    const http = parseConf(read('http.conf')).sections[0]!;
    expect(http.entries).toContainEqual(['bindaddr', '127.0.0.1']);
    const limit = Number(http.entries.find(([k]) => k === 'sessionlimit')?.[1]);
    // engines' WebSockets + the default ARI_MAX_CONNECTIONS of 32, with room to spare
    expect(limit).toBeGreaterThan(32 + 2);
    expect(read('http.conf')).toMatch(/sessions, default 100/);
    const ami = parseConf(read('manager.conf'));
    expect(ami.sections[0]!.entries).toContainEqual(['bindaddr', '127.0.0.1']);
  });

  it("hand ARI the variable the dialplan sets to the carrier's SIP Call-ID", () => {
    const general = parseConf(read('ari.conf')).sections.find((s) => s.name === 'general');
    expect(general?.entries).toContainEqual(['channelvars', SIP_CALL_ID_VARIABLE]);
    expect(read('extensions-generated.conf')).toContain(
      `Set(${SIP_CALL_ID_VARIABLE}=\${CHANNEL(pjsip,call-id)})`,
    );
  });

  it('keep credentials out of the committed files', () => {
    for (const name of ['ari.conf', 'manager.conf']) {
      const conf = parseConf(read(name));
      // the users, and (manager.conf) this node's control address, both written by the entrypoint
      expect(conf.includes.filter((i) => !i.startsWith('/run/hotline/node-'))).toEqual([
        `/run/hotline/${name.replace('.conf', '')}-users.conf`,
      ]);
      expect(conf.sections.flatMap((s) => s.entries.map(([k]) => k))).not.toContain('password');
      expect(conf.sections.flatMap((s) => s.entries.map(([k]) => k))).not.toContain('secret');
    }
    const entrypoint = read('docker-entrypoint.sh');
    expect(entrypoint).toContain('secrets=/run/hotline');
    expect(entrypoint).toContain('$secrets/ari-users.conf');
    expect(entrypoint).toContain('$secrets/manager-users.conf');
  });
});
