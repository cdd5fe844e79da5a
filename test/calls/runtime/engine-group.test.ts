import { describe, expect, it } from 'vitest';
import type { CallState } from '../../../src/calls/core/types.ts';
import type { AgentEvent, CallRequest, RequestResult } from '../../../src/calls/runtime/engine.ts';
import { type CallsView, EngineGroup } from '../../../src/calls/runtime/engine-group.ts';

/** An engine holding the given calls, recording the requests it gets and telling its listeners. */
function engine(name: string, callIds: string[]) {
  const listeners = new Set<(e: AgentEvent) => void>();
  const requests: string[] = [];
  const view: CallsView = {
    call: (id) => (callIds.includes(id) ? ({ id } as CallState) : undefined),
    liveCalls: () => callIds.map((id) => ({ id }) as CallState),
    request: (id: string, r: CallRequest): RequestResult => {
      requests.push(`${name}:${id}:${r.kind}`);
      return callIds.includes(id)
        ? { ok: true }
        : { ok: false, code: 'no-such-call', message: `no call ${id}` };
    },
    onAgentEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const emit = (agentId: string) =>
    [...listeners].forEach((l) => void l({ agentId, event: 'connected', at: 0, detail: { engine: name } }));
  return { view, requests, emit, listeners };
}

describe('the calls of this engine and of the engines it took over, as one', () => {
  it('lists and finds the calls of every engine, and sends each request to the engine holding the call', () => {
    const own = engine('own', ['c1']);
    const taken = engine('e2', ['c2', 'c3']);
    const group = new EngineGroup(own.view);
    expect(group.liveCalls().map((c) => c.id)).toEqual(['c1']);
    expect(group.call('c2')).toBeUndefined();
    group.add('e2', taken.view);
    expect(group.liveCalls().map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(group.call('c3')?.id).toBe('c3');
    const hold = { kind: 'hold' } as CallRequest;
    expect(group.request('c2', hold)).toEqual({ ok: true });
    expect(group.request('c1', hold)).toEqual({ ok: true });
    // a call nobody holds is refused by this process's own engine
    expect(group.request('c9', hold)).toMatchObject({ ok: false, code: 'no-such-call' });
    expect([...own.requests, ...taken.requests].sort()).toEqual(
      ['e2:c2:hold', 'own:c1:hold', 'own:c9:hold'].sort(),
    );
    group.remove('e2');
    expect(group.liveCalls().map((c) => c.id)).toEqual(['c1']);
  });

  it('passes on the agents’ events of engines that join after the listener, and stops at its removal', () => {
    const own = engine('own', []);
    const taken = engine('e2', []);
    const group = new EngineGroup(own.view);
    const seen: string[] = [];
    const stop = group.onAgentEvent((e) => seen.push(`${e.detail.engine}:${e.agentId}`));
    group.add('e2', taken.view);
    own.emit('a1');
    taken.emit('a2');
    group.remove('e2');
    taken.emit('a3'); // handed back: no longer this process's
    expect(taken.listeners.size).toBe(0);
    stop();
    own.emit('a4');
    expect(seen).toEqual(['own:a1', 'e2:a2']);
    expect(own.listeners.size).toBe(0);
  });
});
