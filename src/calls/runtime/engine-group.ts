import type { CallState } from '../core/types.ts';
import type { AgentEvent, CallEngine, CallRequest, RequestResult } from './engine.ts';

/** What the API and the desk need of the engines: find a call, list them, ask for a change, follow agents' events. */
export type CallsView = Pick<CallEngine, 'call' | 'liveCalls' | 'request' | 'onAgentEvent'>;

/**
 * The calls this process serves: its own engine's, and those of the engines it has taken over
 * (ENGINE_TAKEOVER: a dead engine's identity served here until its own process is back). Agents
 * and supervisors see one set of calls whichever engine holds a call: a request goes to the
 * engine holding the call; agents' events come from all of them, engines joining or leaving
 * included.
 */
export class EngineGroup implements CallsView {
  private readonly others = new Map<string, CallsView>();
  private readonly listeners = new Map<(event: AgentEvent) => void, Map<CallsView, () => void>>();

  constructor(private readonly own: CallsView) {}

  /** An engine taken over joins (under its identity); listeners follow its agents' events from now on. */
  add(engineId: string, engine: CallsView): void {
    this.remove(engineId);
    this.others.set(engineId, engine);
    for (const [listener, stops] of this.listeners) stops.set(engine, engine.onAgentEvent(listener));
  }

  /** An engine handed back leaves. */
  remove(engineId: string): void {
    const engine = this.others.get(engineId);
    if (!engine) return;
    this.others.delete(engineId);
    for (const stops of this.listeners.values()) {
      stops.get(engine)?.();
      stops.delete(engine);
    }
  }

  private engines(): CallsView[] {
    return [this.own, ...this.others.values()];
  }

  /** The engine holding the call, if any. */
  private holder(callId: string): CallsView | undefined {
    return this.engines().find((e) => e.call(callId) !== undefined);
  }

  call(callId: string): CallState | undefined {
    for (const e of this.engines()) {
      const s = e.call(callId);
      if (s) return s;
    }
    return undefined;
  }

  liveCalls(): CallState[] {
    return this.engines().flatMap((e) => e.liveCalls());
  }

  /** To the engine holding the call; a call no engine holds is refused by this process's own (as unknown). */
  request(callId: string, r: CallRequest): RequestResult {
    return (this.holder(callId) ?? this.own).request(callId, r);
  }

  onAgentEvent(listener: (event: AgentEvent) => void): () => void {
    const stops = new Map<CallsView, () => void>();
    for (const e of this.engines()) stops.set(e, e.onAgentEvent(listener));
    this.listeners.set(listener, stops);
    return () => {
      for (const stop of stops.values()) stop();
      this.listeners.delete(listener);
    };
  }
}
