/** Where a command writes; tests pass buffers, the launcher passes the process streams. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

export const processIO: CommandIO = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Bad command-line usage: exit code 2 with the message. */
export class UsageError extends Error {
  readonly code = 'usage';
}
