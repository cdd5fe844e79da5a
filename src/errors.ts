/**
 * Base class of the project's typed errors. Each error has a stable machine-readable `code`
 * (kebab-case, e.g. `unknown-number`) that APIs return and tests assert on, never the message.
 */
export class HotlineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
