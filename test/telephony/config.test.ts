import { describe, expect, it } from 'vitest';
import { amiConfig, apps, ConfigError, readConfig } from '../../src/config.ts';

describe('telephony settings', () => {
  it('defaults to the Stasis apps the shipped dialplan uses, a 5 s REST idle timeout, a 10 s poll and 30 s reconciliation', () => {
    const c = readConfig({});
    expect(apps(c)).toEqual(['hotline-1', 'hotline-2']);
    expect(c).toMatchObject({ ARI_IDLE_SOCKET_MS: 5000, ENDPOINT_POLL_SECONDS: 10, RECONCILE_SECONDS: 30 });
    expect(amiConfig(c)).toBeUndefined();
  });

  it('reads AMI from AMI_URL, AMI_USER and AMI_SECRET, all three together', () => {
    const c = readConfig({ AMI_URL: 'tcp://127.0.0.1:5038', AMI_USER: 'hotline', AMI_SECRET: 's3cret' });
    expect(amiConfig(c)).toEqual({ host: '127.0.0.1', port: 5038, user: 'hotline', secret: 's3cret' });
    expect(amiConfig(readConfig({ AMI_URL: 'tcp://[::1]', AMI_USER: 'h', AMI_SECRET: 's' }))).toMatchObject({
      host: '::1',
      port: 5038,
    });
    expect(() => readConfig({ AMI_URL: 'tcp://127.0.0.1:5038' })).toThrow(ConfigError);
    expect(() => readConfig({ AMI_URL: 'http://127.0.0.1:5038', AMI_USER: 'h', AMI_SECRET: 's' })).toThrow(
      /AMI_URL: must be tcp:\/\/host:port/,
    );
  });

  it('takes an empty variable as not set (a compose file passing AMI_SECRET= through)', () => {
    const c = readConfig({ AMI_URL: '', AMI_USER: '', AMI_SECRET: '', HTTP_TRUSTED_PROXIES: '' });
    expect(amiConfig(c)).toBeUndefined();
    expect(() => readConfig({ AMI_URL: 'tcp://127.0.0.1:5038', AMI_USER: 'h', AMI_SECRET: '' })).toThrow(
      /go together/,
    );
  });
});
