import type { AcdChange, AcdStore } from '../../../src/acd/store/port.ts';

/**
 * One contender in a reservation race: reserves random (agent, call) pairs until every call is
 * taken, answering and completing each call it wins so the agent becomes ready again.
 * Returns the calls it won.
 */
export async function raceForCalls(
  store: AcdStore,
  engineId: string,
  callIds: readonly string[],
  agentIds: readonly string[],
): Promise<string[]> {
  const open = [...callIds];
  const won: string[] = [];
  const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)] as T;
  while (open.length > 0) {
    // Contend on the oldest calls, as real engines do.
    const index = Math.floor(Math.random() * Math.min(8, open.length));
    const callId = open[index] as string;
    const out = await store.reserve(pick(agentIds), callId, engineId, 30_000);
    if (out.ok) {
      won.push(callId);
      open.splice(index, 1);
      await store.confirm(callId);
      await store.complete(callId, 1);
    } else if (out.reason === 'no-such-call' || out.reason === 'call-already-offered') {
      open.splice(index, 1);
    } else if (out.reason !== 'agent-not-ready') {
      throw new Error(`unexpected refusal ${out.reason}`);
    }
  }
  return won;
}

/**
 * Checks the serialized change feed of a race: each agent goes reserve → answer → complete in
 * turn (never offered a second call while holding one) and each call is reserved exactly once.
 */
export function auditRace(changes: readonly AcdChange[], callIds: readonly string[]): string[] {
  const problems: string[] = [];
  const expected = new Map<string, string>();
  const next: Record<string, string> = { reserve: 'answer', answer: 'complete', complete: 'reserve' };
  const reserved = new Map<string, number>();
  for (const c of changes) {
    if (c.kind !== 'agent' || !(c.cause in next)) continue;
    const want = expected.get(c.agentId) ?? 'reserve';
    if (c.cause !== want) problems.push(`agent ${c.agentId}: ${c.cause} while expecting ${want}`);
    expected.set(c.agentId, next[c.cause] as string);
    if (c.cause === 'reserve' && c.callId) reserved.set(c.callId, (reserved.get(c.callId) ?? 0) + 1);
  }
  for (const id of callIds) {
    const n = reserved.get(id) ?? 0;
    if (n !== 1) problems.push(`call ${id} reserved ${n} times`);
  }
  return problems;
}
