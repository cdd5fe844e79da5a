import { dialplanCommand, dialplanHelp } from './dialplan.ts';
import { edgeCommand, edgeHelp } from './edge.ts';
import { explainCommand, explainHelp } from './explain.ts';
import { type CommandIO, processIO, UsageError } from './io.ts';
import { recordsCommand, recordsHelp } from './records.ts';
import { reportCommand, reportHelp } from './report.ts';
import { schemaCommand, schemaHelp } from './schema.ts';
import { serveCommand, serveHelp } from './serve.ts';
import { simulateCommand, simulateHelp } from './simulate.ts';
import { staffingCommand, staffingHelp } from './staffing.ts';
import { tokenCommand, tokenHelp } from './token.ts';
import { validateCommand, validateHelp } from './validate.ts';
import { whatifCommand, whatifHelp } from './whatif.ts';

type Command = (args: string[], io: CommandIO) => number | Promise<number>;

const commands: Record<string, { run: Command; help: string }> = {
  validate: { run: validateCommand, help: validateHelp },
  explain: { run: explainCommand, help: explainHelp },
  schema: { run: schemaCommand, help: schemaHelp },
  dialplan: { run: dialplanCommand, help: dialplanHelp },
  records: { run: recordsCommand, help: recordsHelp },
  report: { run: reportCommand, help: reportHelp },
  token: { run: tokenCommand, help: tokenHelp },
  simulate: { run: simulateCommand, help: simulateHelp },
  staffing: { run: staffingCommand, help: staffingHelp },
  serve: { run: serveCommand, help: serveHelp },
  edge: { run: edgeCommand, help: edgeHelp },
  whatif: { run: whatifCommand, help: whatifHelp },
};

function usage(): string {
  return `usage: hotline <command> [options]\n\n${Object.values(commands)
    .map((c) => c.help)
    .join('\n\n')}`;
}

/** Runs the `hotline` command line; returns the exit code. */
export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`${name}: ${(err as Error).message}\n\n${command.help}`);
      return 2;
    }
    throw err;
  }
}
