/**
 * How a long-running command (`hotline serve`, `hotline edge`) learns it must stop: Ctrl-C or
 * SIGTERM (exit code 0), even during its start-up, or the service asking to stop with a code of
 * its own (e.g. 3: `serve` lost its engine lease).
 */
export class StopSignal {
  private code: number | undefined;
  private wake = () => {};
  private readonly onSignal = () => this.request(0);

  constructor() {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Asks for the stop; the first request's code wins. */
  request(exitCode: number): void {
    this.code ??= exitCode;
    this.wake();
  }

  /** Resolves with the exit code once a stop is requested (at once if it already was). */
  async requested(): Promise<number> {
    if (this.code === undefined)
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    return this.code ?? 0;
  }

  /** Stops listening for the signals (a second Ctrl-C then ends the process at once). */
  forget(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
