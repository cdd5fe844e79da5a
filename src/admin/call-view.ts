import type { CallState } from '../calls/core/types.ts';
import { maskNumber } from '../log.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { topicName } from '../plan/topic-name.ts';

/** A live call as the supervisors' list shows it; the caller's number is masked. */
export function callSummary(c: CallState) {
  return {
    id: c.id,
    dialed: c.dialed,
    line: c.line,
    phase: c.phase,
    caller: maskNumber(c.callerNumber),
    stage: c.stage,
    queue: c.queue ? `${c.queue.kind}:${c.queue.id}` : undefined,
    agentId: c.agent?.agentId ?? c.offer?.agentId,
    ivrPath: c.ivrPath,
    arrivedAt: new Date(c.arrivedAt).toISOString(),
  };
}

/**
 * One live call for the agent toolbar: line, topic (its id and, with the plan, the name the
 * toolbar shows: 诉求类别 in Chinese, never the id), masked caller, IVR path, transfer under way.
 */
export function callDetail(c: CallState, plan?: RoutingPlan) {
  const topic = c.queue?.skill ?? c.line.topic;
  return {
    ...callSummary(c),
    topic,
    topicName: plan ? topicName(plan, topic) : topic,
    answeredAt: c.agent ? new Date(c.agent.answeredAt).toISOString() : undefined,
    transfer: c.transfer
      ? {
          id: c.transfer.id,
          mode: c.transfer.mode,
          target: `${c.transfer.target.kind}:${c.transfer.target.id}`,
          answered: c.transfer.answeredAt !== undefined,
        }
      : undefined,
    target: c.target
      ? { kind: c.target.kind, id: c.target.id, answered: c.target.answeredAt !== undefined }
      : undefined,
    /** 保持: whether the citizen is on hold now (and since when), how often, and the closed holds' time. */
    hold: {
      onHold: c.hold?.since !== undefined,
      since: c.hold?.since !== undefined ? new Date(c.hold.since).toISOString() : undefined,
      count: c.hold?.count ?? 0,
      closedSeconds: Math.round((c.hold?.totalMs ?? 0) / 1000),
    },
    /** 静音: the agent's microphone is muted. */
    muted: c.muted === true,
  };
}

/** Where an agent can transfer a call, from the live plan: sub-centers, expert seats, emergency
 *  lines, other centers and the directory. */
export function transferTargets(plan: RoutingPlan) {
  const list = <T extends { id: string; name: string }>(kind: string, table: ReadonlyMap<string, T>) =>
    [...table.values()].map((t) => ({ ref: `${kind}:${t.id}`, kind, id: t.id, name: t.name }));
  return [
    ...list('subcenter', plan.subcenters),
    ...list('expert', plan.experts),
    ...list('emergency', plan.emergency),
    ...list('center', plan.centers),
    ...list('directory', plan.directory),
  ];
}
