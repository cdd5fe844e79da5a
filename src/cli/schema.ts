import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RulesFile } from '../plan/schema.ts';
import { recordsJsonSchema } from '../records/schema.ts';
import type { CommandIO } from './io.ts';

export const schemaHelp = `hotline schema [--records]
  Prints the JSON Schema of a rules file (for editors), or with --records of a call record.`;

export function schemaCommand(args: string[], io: CommandIO): number {
  const { values } = parseArgs({ args, options: { records: { type: 'boolean' } }, strict: true });
  if (values.records) {
    io.out(JSON.stringify(recordsJsonSchema(), null, 2));
    return 0;
  }
  const schema = z.toJSONSchema(RulesFile, { io: 'input', unrepresentable: 'any' });
  io.out(JSON.stringify({ title: 'hotline routing rules file', ...schema }, null, 2));
  return 0;
}
