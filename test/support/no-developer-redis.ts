/**
 * Vitest setup file (every test worker): a connection to port 6379, where a developer's own Redis
 * listens, fails at once with an error saying so, instead of reading or writing their data. A
 * test reaching for 6379 (a forgotten default) then fails loudly, whatever runs on that port.
 */
import { Socket } from 'node:net';
import { DEVELOPER_REDIS_PORT } from './redis.ts';

const connect = Socket.prototype.connect;
const guarded = function (this: Socket, ...args: unknown[]): Socket {
  // net.connect() hands its arguments over normalized, as one array: [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const port = typeof first === 'object' && first !== null ? (first as { port?: unknown }).port : first;
  if (Number(port) === DEVELOPER_REDIS_PORT) {
    const err = new Error(
      `a test connected to port ${DEVELOPER_REDIS_PORT} (a developer's own Redis); tests use only the private Redis in REDIS_URL`,
    );
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return (connect as (...a: unknown[]) => Socket).apply(this, args);
};
Socket.prototype.connect = guarded as typeof Socket.prototype.connect;
