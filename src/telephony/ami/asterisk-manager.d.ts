// The part of asterisk-manager (which ships no types) that the AMI adapter uses.
declare module 'asterisk-manager' {
  /** A message as the library parses it: header names lower-cased, values as text. */
  export type AmiMessage = Record<string, unknown>;

  export interface Manager {
    options: { port: number; host: string; username: string; password: string; events: boolean };
    on(event: string, listener: (...args: unknown[]) => void): Manager;
    removeAllListeners(event?: string): Manager;
    connect(port: number, host: string, callback?: (err: unknown) => void): void;
    login(callback?: (err: unknown) => void): void;
    action(
      action: Record<string, string | number | undefined>,
      callback?: (err: unknown, res?: AmiMessage) => void,
    ): string;
    disconnect(callback?: () => void): void;
    isConnected(): boolean;
  }

  function Manager(
    port?: number,
    host?: string,
    username?: string,
    password?: string,
    events?: boolean,
  ): Manager;
  export default Manager;
}
