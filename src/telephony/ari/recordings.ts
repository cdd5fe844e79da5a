import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RecordingAudio, RecordingStore, StoredRecording } from '../../recordings/store.ts';
import { TelephonyError } from '../port.ts';

export interface AriRecordingStoreOptions {
  /** Each Asterisk node's ARI URL (one for a single PBX), e.g. http://127.0.0.1:8088 (`/ari` optional). */
  urls: string[];
  user: string;
  password: string;
  /** Time to the PBX's answer (the body of a file then streams at its own pace). Default 10 s. */
  timeoutMs?: number;
}

/**
 * Asterisk's stored recordings over ARI (`/recordings/stored`): listed, deleted and their files
 * streamed. With several nodes a recording is on the node whose bridge was recorded: a file or a
 * delete is asked of each node in turn until one has it; the list is every node's.
 */
export class AriRecordingStore implements RecordingStore {
  private readonly auth: string;

  constructor(private readonly o: AriRecordingStoreOptions) {
    this.auth = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}`;
  }

  async list(): Promise<StoredRecording[]> {
    const seen = new Map<string, StoredRecording>();
    for (const base of this.o.urls) {
      const res = await this.send(base, 'GET', '/recordings/stored');
      const list = JSON.parse(await text(res)) as StoredRecording[];
      for (const r of list) if (!seen.has(r.name)) seen.set(r.name, { name: r.name, format: r.format });
    }
    return [...seen.values()];
  }

  async remove(name: string): Promise<boolean> {
    let removed = false;
    for (const base of this.o.urls) {
      const res = await this.send(base, 'DELETE', `/recordings/stored/${encodeURIComponent(name)}`, [404]);
      res.resume();
      if (res.statusCode !== 404) removed = true;
    }
    return removed;
  }

  async audio(name: string): Promise<RecordingAudio | undefined> {
    for (const base of this.o.urls) {
      const res = await this.send(base, 'GET', `/recordings/stored/${encodeURIComponent(name)}/file`, [404]);
      if (res.statusCode === 404) {
        res.resume();
        continue;
      }
      const length = Number(res.headers['content-length']);
      return {
        stream: res,
        type: String(res.headers['content-type'] ?? 'application/octet-stream'),
        ...(Number.isFinite(length) && length >= 0 ? { length } : {}),
      };
    }
    return undefined;
  }

  /** One request; its response unless the status is an error not in `allowed`. */
  private send(base: string, method: string, path: string, allowed: number[] = []): Promise<IncomingMessage> {
    const url = new URL(`${base.replace(/\/$/, '').replace(/\/ari$/, '')}/ari${path}`);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const operation = `${method} ${path.split('/').slice(0, 3).join('/')}`;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method, headers: { authorization: this.auth }, timeout: this.o.timeoutMs ?? 10_000 },
        (res) => {
          req.setTimeout(0);
          const status = res.statusCode ?? 0;
          if ((status >= 200 && status < 300) || allowed.includes(status)) return resolve(res);
          void text(res).then(
            (body) => reject(new TelephonyError(status, operation, body.slice(0, 200))),
            () => reject(new TelephonyError(status, operation, 'no body')),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in time')));
      req.on('error', (err) => reject(TelephonyError.transport(operation, err.message)));
      req.end();
    });
  }
}

function text(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
