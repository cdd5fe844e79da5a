import { describe, expect, it } from 'vitest';
import type { CallState } from '../../../src/calls/core/types.ts';
import type { AgentEvent, CallRequest, RequestResult } from '../../../src/calls/runtime/engine.ts';
import { EngineGroup, type GroupEngine } from '../../../src/calls/runtime/engine-group.ts';

/** An engine holding the given calls, recording the requests it gets and telling its listeners. */
function engine(name: string, callIds: string[]) {
  const listeners = new Set<(e: AgentEvent) => void>();
  const stageListeners: ((s: CallState) => void)[] = [];
  const endedListeners: ((s: CallState) => void)[] = [];
  const requests: string[] = [];
  const view: GroupEngine = {
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
    // Like the engine's own: listeners cannot be taken off.
    onStage: (l) => void stageListeners.push(l),
    onEnded: (l) => void endedListeners.push(l),
  };
  const emit = (agentId: string) =>
    [...listeners].forEach((l) => void l({ agentId, event: 'connected', at: 0, detail: { engine: name } }));
  const stage = (id: string) => stageListeners.forEach((l) => void l({ id, stage: 'talking' } as CallState));
  const end = (id: string) => endedListeners.forEach((l) => void l({ id, stage: 'ended' } as CallState));
  return { held: { engine: view }, requests, emit, stage, end, listeners };
}

describe('the calls of this engine and of the engines it took over, as one', () => {
  it('lists and finds the calls of every engine, and sends each request to the engine holding the call', () => {
    const own = engine('own', ['c1']);
    const taken = engine('e2', ['c2', 'c3']);
    const group = new EngineGroup(own.held);
    expect(group.liveCalls().map((c) => c.id)).toEqual(['c1']);
    expect(group.call('c2')).toBeUndefined();
    expect(group.takenOver()).toEqual([]);
    group.add('e2', taken.held);
    expect(group.takenOver()).toEqual(['e2']);
    expect(group.liveCalls().map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(group.call('c3')?.id).toBe('c3');
    expect(group.holding('c3')).toBe(taken.held);
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
    expect(group.takenOver()).toEqual([]);
  });

  it('lists a call two engines hold at once only once', () => {
    const group = new EngineGroup(engine('own', ['c1', 'c2']).held);
    group.add('e2', engine('e2', ['c2', 'c3']).held);
    expect(group.liveCalls().map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
  });

  it('passes on the agents’ events of engines that join after the listener, and stops at its removal', () => {
    const own = engine('own', []);
    const taken = engine('e2', []);
    const group = new EngineGroup(own.held);
    const seen: string[] = [];
    const stop = group.onAgentEvent((e) => seen.push(`${e.detail.engine}:${e.agentId}`));
    group.add('e2', taken.held);
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

  it('passes on the stages and ends of every engine’s calls while the engine is held, and none after', () => {
    const own = engine('own', ['c1']);
    const taken = engine('e2', ['c2']);
    const group = new EngineGroup(own.held);
    const seen: string[] = [];
    const stopStages = group.onStage((s) => seen.push(`stage:${s.id}`));
    const stopEnds = group.onEnded((s) => seen.push(`ended:${s.id}`));
    group.add('e2', taken.held);
    taken.stage('c2');
    own.stage('c1');
    taken.end('c2');
    group.remove('e2');
    taken.stage('c4'); // handed back
    stopStages();
    own.stage('c1');
    own.end('c1');
    stopEnds();
    own.end('c5');
    expect(seen).toEqual(['stage:c2', 'stage:c1', 'ended:c2', 'ended:c1']);
  });

  it('attaches a follower to every engine held and to each that joins, and detaches it when one leaves', () => {
    const own = engine('own', []);
    const group = new EngineGroup(own.held);
    const log: string[] = [];
    const name = (h: unknown) => (h === own.held ? 'own' : 'taken');
    const stop = group.each((h) => {
      log.push(`attach:${name(h)}`);
      return () => log.push(`detach:${name(h)}`);
    });
    const taken = engine('e2', []);
    group.add('e2', taken.held);
    expect(group.members()).toEqual([own.held, taken.held]);
    group.remove('e2');
    group.add('e2', taken.held);
    stop();
    group.remove('e2');
    expect(log).toEqual([
      'attach:own',
      'attach:taken',
      'detach:taken',
      'attach:taken',
      'detach:own',
      'detach:taken',
    ]);
  });
});
