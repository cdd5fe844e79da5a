import { join } from 'node:path';
import { handleEvent, startCall } from '../../../src/calls/core/session.ts';
import type { CallEvent, CallState, Command } from '../../../src/calls/core/types.ts';
import { loadPlan } from '../../../src/plan/load.ts';
import { parseInstant } from '../../../src/plan/zoned-time.ts';
import { puyangWithMenu } from '../../support/puyang-menu.ts';

const root = join(import.meta.dirname, '../../..');
export const sichuan = loadPlan(join(root, 'routing-rules')).plan;
export const puyang = loadPlan(join(root, 'routing-rules/examples/puyang')).plan;
/** Puyang with its optional first-level 12345 menu switched on (off in the shipped plan). */
export const puyangMenu = puyangWithMenu();
const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai')!;

/** Drives one call through the session logic, keeping time and the commands it emitted. */
export class Harness {
  state: CallState;
  now: number;
  log: Command[] = [];
  constructor(
    readonly plan = sichuan,
    dialed = '12345',
    iso = '2026-11-24T10:00:00',
    caller = '13800138000',
  ) {
    this.now = at(iso);
    const { state, commands } = startCall(
      { id: 'c1', app: 'hotline', callerChannel: 'c1', dialed, callerNumber: caller, callerName: '' },
      plan,
      this.now,
    );
    this.state = state;
    this.log.push(...commands);
  }
  send(event: CallEvent, advanceMs = 0): Command[] {
    this.now += advanceMs;
    const out = handleEvent(this.state, event, this.plan, this.now);
    this.log.push(...out);
    return out;
  }
  /** Finishes the prompt playing now. */
  finishPrompt(): Command[] {
    const p = this.state.playback;
    if (!p) throw new Error('nothing is playing');
    return this.send({ kind: 'playback-finished', playbackId: p.id, failed: false }, 1000);
  }
  playAll(): void {
    while (this.state.playback) this.finishPrompt();
  }
  fire(name: string, advanceMs = 0): Command[] {
    const token = this.state.timers[name];
    if (token === undefined) throw new Error(`timer ${name} is not running`);
    return this.send({ kind: 'timer', name, token }, advanceMs);
  }
  played(): string[] {
    return this.log.filter((c) => c.kind === 'play').map((c) => (c as { prompt: string }).prompt);
  }
  kinds(cmds: Command[]): string[] {
    return cmds.map((c) => c.kind);
  }
}
