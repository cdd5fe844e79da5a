import { z } from 'zod';
import { deviceEndpointSchema } from './acd/agent.ts';
import { parseYamlFile } from './plan/load.ts';
import { formatProblem, type RuleProblem, RulesInvalidError } from './plan/problems.ts';

/**
 * The agent roster file (HOTLINE_ROSTER): who may log in, on which phones, with what skills, in
 * which pools and expert seats. The roster owns the phones: an agent logs in only on one of the
 * endpoints assigned here (`endpoint`, the default, and `endpoints`), each a plain PJSIP device
 * that no other agent has; the engine dials no agent endpoint outside this list. An entry that
 * names no phone has the one named after its id (`PJSIP/<id>`).
 */
export const RosterFile = z
  .object({
    agents: z
      .array(
        z
          .object({
            id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -'),
            name: z.string().min(1),
            endpoint: deviceEndpointSchema.optional(),
            endpoints: z.array(deviceEndpointSchema).max(16).optional(),
            skills: z.record(z.string().min(1), z.number().int().min(1).max(10)).default({}),
            pools: z.array(z.string().min(1)).default([]),
            expertSeats: z.array(z.string().min(1)).default([]),
            department: z.string().min(1).optional(),
          })
          .strict(),
      )
      .min(1)
      .superRefine((agents, ctx) => {
        const ids = new Map<string, number>();
        const owners = new Map<string, string>();
        agents.forEach((a, i) => {
          const first = ids.get(a.id);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'id'],
              message: `agent "${a.id}" is already at agents.${first}`,
            });
          } else ids.set(a.id, i);
          const phones: [string, (string | number)[]][] = [
            ...(a.endpoint !== undefined
              ? [[a.endpoint, [i, 'endpoint']] as [string, (string | number)[]]]
              : []),
            ...(a.endpoints ?? []).map((e, k): [string, (string | number)[]] => [e, [i, 'endpoints', k]]),
          ];
          for (const [endpoint, path] of phones) {
            const owner = owners.get(endpoint);
            if (owner !== undefined && owner !== a.id) {
              ctx.addIssue({
                code: 'custom',
                path,
                message: `${endpoint} is already assigned to agent "${owner}": an endpoint belongs to one agent`,
              });
            } else owners.set(endpoint, a.id);
          }
        });
      }),
  })
  .strict();

/** The phone of an entry that names none: the PJSIP device named after the agent's id. */
export const implicitPhone = (agentId: string) => `PJSIP/${agentId}`;

/** The phones of a roster entry: the ones it names, else the one named after its id. */
export function rosterPhones(entry: { id: string; endpoint?: string; endpoints?: string[] }): {
  endpoint: string;
  endpoints?: string[];
} {
  const endpoint = entry.endpoint ?? entry.endpoints?.[0] ?? implicitPhone(entry.id);
  const rest = (entry.endpoints ?? []).filter((e) => e !== endpoint);
  return rest.length > 0 ? { endpoint, endpoints: rest } : { endpoint };
}

/** A roster entry as administrators write it: pools and expert seats by their plan ids. */
export type RosterEntry = z.input<typeof RosterFile>['agents'][number];

/** Reads a roster file; problems are reported as FILE:PATH like the rules. */
export function loadRoster(path: string): RosterEntry[] {
  const problems: RuleProblem[] = [];
  const parsed = parseYamlFile(path, path, RosterFile, problems);
  if (!parsed) throw new RulesInvalidError(problems);
  return parsed.agents;
}

export { formatProblem };
