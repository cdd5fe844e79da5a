import type { CallState } from '../core/types.ts';
import type { AgentEvent, CallEngine, CallRequest, RequestResult } from './engine.ts';

/** What the API and the desk need of the engines: find a call, list them, ask for a change, follow agents' events. */
export type CallsView = Pick<CallEngine, 'call' | 'liveCalls' | 'request' | 'onAgentEvent'>;

/** What the group follows of each engine: its calls, and each call's changes of stage and end. */
export type GroupEngine = CallsView & Pick<CallEngine, 'onStage' | 'onEnded'>;

/**
 * One engine this process holds, with what goes with it (a running hotline: its telephony, its
 * statistics…), which those who follow the group may use.
 */
export interface HeldEngine {
  readonly engine: GroupEngine;
}

/** Runs for an engine of the group; what it returns runs when that engine leaves (or the follower stops). */
export type Attach<M> = (held: M) => (() => void) | undefined;

/**
 * The calls this process serves: its own engine's, and those of the engines it has taken over
 * (ENGINE_TAKEOVER: a dead engine's identity served here until its own process is back). Agents
 * and supervisors see one set of calls whichever engine holds a call: a request goes to the
 * engine holding the call; agents' events, calls' stages and ends come from all of them, engines
 * joining or leaving included. Whatever counts or acts on the process's calls (the wallboard, the
 * metrics, listening in) follows the group, not one engine, so that it covers every engine held.
 * A call that two engines list at once (never expected: a call has one holder) is listed once.
 */
export class EngineGroup<M extends HeldEngine = HeldEngine> implements CallsView {
  private readonly others = new Map<string, M>();
  /** Per follower, what to run when each engine it was attached to leaves. */
  private readonly followers = new Set<{ attach: Attach<M>; detach: Map<M, () => void> }>();

  constructor(readonly own: M) {}

  /** An engine taken over joins (under its identity); every follower attaches to it now. */
  add(engineId: string, held: M): void {
    this.remove(engineId);
    this.others.set(engineId, held);
    for (const f of this.followers) attachTo(f, held);
  }

  /** An engine handed back leaves: every follower detaches from it first. */
  remove(engineId: string): void {
    const held = this.others.get(engineId);
    if (!held) return;
    this.others.delete(engineId);
    for (const f of this.followers) {
      const detach = f.detach.get(held);
      f.detach.delete(held);
      detach?.();
    }
  }

  /** The engines taken over and held now, by identity (none: this process serves its own alone). */
  takenOver(): string[] {
    return [...this.others.keys()];
  }

  /** Every engine held now, this process's own first. */
  members(): M[] {
    return [this.own, ...this.others.values()];
  }

  /**
   * Runs `attach` for every engine held now and for each that joins later; what it returns runs
   * when that engine leaves. The function returned stops following (detaching from all).
   */
  each(attach: Attach<M>): () => void {
    const f = { attach, detach: new Map<M, () => void>() };
    this.followers.add(f);
    for (const held of this.members()) attachTo(f, held);
    return () => {
      this.followers.delete(f);
      for (const detach of f.detach.values()) detach();
      f.detach.clear();
    };
  }

  /** The engine holding the call, if any. */
  holding(callId: string): M | undefined {
    return this.members().find((m) => m.engine.call(callId) !== undefined);
  }

  call(callId: string): CallState | undefined {
    return this.holding(callId)?.engine.call(callId);
  }

  liveCalls(): CallState[] {
    const seen = new Set<string>();
    const out: CallState[] = [];
    for (const m of this.members())
      for (const c of m.engine.liveCalls()) {
        if (seen.has(c.id)) continue;
        seen.add(c.id);
        out.push(c);
      }
    return out;
  }

  /** To the engine holding the call; a call no engine holds is refused by this process's own (as unknown). */
  request(callId: string, r: CallRequest): RequestResult {
    return (this.holding(callId) ?? this.own).engine.request(callId, r);
  }

  onAgentEvent(listener: (event: AgentEvent) => void): () => void {
    return this.each((m) => m.engine.onAgentEvent(listener));
  }

  /** Each call's change of stage, on whichever engine holds it (until the returned function is called). */
  onStage(listener: (state: CallState) => void): () => void {
    return this.each((m) => gated((l) => m.engine.onStage(l), listener));
  }

  /** Each call's end, on whichever engine held it (until the returned function is called). */
  onEnded(listener: (state: CallState) => void): () => void {
    return this.each((m) => gated((l) => m.engine.onEnded(l), listener));
  }
}

function attachTo<M>(f: { attach: Attach<M>; detach: Map<M, () => void> }, held: M): void {
  const detach = f.attach(held);
  if (detach) f.detach.set(held, detach);
}

/** An engine's listeners cannot be taken off: the one given is passed on until the gate shuts. */
function gated<T>(subscribe: (listener: (v: T) => void) => void, listener: (v: T) => void): () => void {
  let open = true;
  subscribe((v) => {
    if (open) listener(v);
  });
  return () => {
    open = false;
  };
}
