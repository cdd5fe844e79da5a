// The part of ari-client (which ships no types) that the adapter uses.
declare module 'ari-client' {
  import type { EventEmitter } from 'node:events';

  export interface AriEvent {
    type: string;
    application?: string;
    timestamp?: string;
    [key: string]: unknown;
  }

  export interface Client extends EventEmitter {
    start(apps: string | string[], subscribeAll?: boolean): Promise<void>;
    stop(): void;
    _ws?: EventEmitter;
  }

  export function connect(url: string, user: string, password: string): Promise<Client>;
  const ari: { connect: typeof connect };
  export default ari;
}
