import { z } from 'zod';
import { parseYamlFile } from './plan/load.ts';
import { formatProblem, type RuleProblem, RulesInvalidError } from './plan/problems.ts';

/** A roster entry as administrators write it: pools and expert seats by their plan ids. */
export interface RosterEntry {
  id: string;
  name: string;
  endpoint?: string;
  skills?: Record<string, number>;
  pools?: string[];
  expertSeats?: string[];
  department?: string;
}

/** The agent roster file (HOTLINE_ROSTER): who may log in, with what skills, in which pools and expert seats. */
export const RosterFile = z
  .object({
    agents: z
      .array(
        z
          .object({
            id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -'),
            name: z.string().min(1),
            endpoint: z
              .string()
              .regex(/^[A-Za-z0-9]+\/\S+$/, 'e.g. PJSIP/agent1001')
              .optional(),
            skills: z.record(z.string().min(1), z.number().int().min(1).max(10)).default({}),
            pools: z.array(z.string().min(1)).default([]),
            expertSeats: z.array(z.string().min(1)).default([]),
            department: z.string().min(1).optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/** Reads a roster file; problems are reported as FILE:PATH like the rules. */
export function loadRoster(path: string): RosterEntry[] {
  const problems: RuleProblem[] = [];
  const parsed = parseYamlFile(path, path, RosterFile, problems);
  if (!parsed) throw new RulesInvalidError(problems);
  return parsed.agents;
}

export { formatProblem };
