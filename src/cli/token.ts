import { parseArgs } from 'node:util';
import { issueToken, type Role, roles } from '../admin/tokens.ts';
import { type CommandIO, UsageError } from './io.ts';

export const tokenHelp = `hotline token --id ID --role admin|supervisor|agent [--agent AGENT_ID]
  Makes a new API token. Prints the token (give it to its holder; it is shown once) and the line
  to add under "tokens:" in the HOTLINE_TOKENS file, which keeps only its SHA-256 hash (the token
  is 256 random bits: a fast hash is safe, and checking it costs the engine microseconds). An agent
  token names the agent it acts for (--agent, default the id).`;

export function tokenCommand(args: string[], io: CommandIO): number {
  const { values } = parseArgs({
    args,
    options: {
      id: { type: 'string' },
      role: { type: 'string' },
      agent: { type: 'string' },
    },
    strict: true,
  });
  if (!values.id) throw new UsageError('--id is required');
  if (!values.role || !(roles as readonly string[]).includes(values.role)) {
    throw new UsageError(`--role must be one of ${roles.join(', ')}`);
  }
  const role = values.role as Role;
  if (role !== 'agent' && values.agent) throw new UsageError('--agent goes with --role agent');
  const agentId = role === 'agent' ? (values.agent ?? values.id) : undefined;
  let issued: ReturnType<typeof issueToken>;
  try {
    issued = issueToken(values.id, role, agentId);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  io.out(`token: ${issued.token}`);
  io.out('add to the tokens file (HOTLINE_TOKENS), under "tokens:":');
  const fields = Object.entries(issued.entry).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  io.out(`  - { ${fields.join(', ')} }`);
  return 0;
}
