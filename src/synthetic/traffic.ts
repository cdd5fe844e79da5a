import type { AcdStore } from '../acd/store/port.ts';
import type { CallState } from '../calls/core/types.ts';
import type { CallEngine } from '../calls/runtime/engine.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { phaseAt } from '../plan/phase.ts';
import { followRoute, type RouteStep } from '../plan/route-step.ts';
import type { RosterEntry } from '../roster.ts';
import type { CallerStep, InjectedCall } from '../sim/callers.ts';
import type { AriSimulator } from '../sim/index.ts';
import { planTrunkEndpoints } from './demo-agents.ts';
import type { Random } from './random.ts';
import { inProcessDriver, isChannelGone, type SimDriver } from './sim-driver.ts';

export interface TrafficOptions {
  plan: RoutingPlan;
  /** The simulator in this process, or a driver for one elsewhere (`HttpSimDriver`). */
  sim: AriSimulator | SimDriver;
  engine: CallEngine;
  store: AcdStore;
  clock: Clock;
  rnd: Random;
  apps: string[];
  roster: RosterEntry[];
  /** Seconds an agent talks, uniformly in [min, max]. */
  talkSeconds?: [number, number];
  /** Seconds a caller waits in a queue before hanging up, uniformly in [min, max]. */
  patienceSeconds?: [number, number];
  /** Share of callers who hang up during the prompts. */
  earlyHangup?: number;
  /** Share of main-line calls (12345 itself) among all calls. */
  mainShare?: number;
  /** Share of answered calls the agent transfers on to a sub-center. */
  transferShare?: number;
}

/**
 * Synthetic citizens and agents on the simulator: callers dial the plan's numbers, key their
 * way through menus, lose patience in queues and rate the service; agents answer and talk.
 */
export class SyntheticTraffic {
  /** Calls placed (asked of the simulator). */
  placed = 0;
  /** Calls the simulator took (placed and injected). */
  offered = 0;
  /** Of those, calls the dialplan's admission gate sent to the safety net (the engine was shedding). */
  shedInDialplan = 0;
  /** Requests to the simulator that found their channel gone meanwhile (expected, harmless). */
  gone = 0;
  /** Requests to the simulator that failed otherwise (should be none), and the last reason. */
  errors = 0;
  lastError: string | undefined;
  private readonly o: Required<Omit<TrafficOptions, 'sim'>>;
  private readonly sim: SimDriver;
  /**
   * Calls that have been in a queue, with their caller's patience while it runs (cancelled when
   * the call ends, so no timer outlives its call).
   */
  private readonly queuedOnce = new Map<string, TimerHandle | undefined>();
  private injecting = 0;

  constructor(options: TrafficOptions) {
    const { sim, ...rest } = options;
    this.o = {
      talkSeconds: [20, 60],
      patienceSeconds: [60, 240],
      earlyHangup: 0.03,
      mainShare: 0.5,
      transferShare: 0.08,
      ...rest,
    };
    this.sim = 'ariUrl' in sim ? inProcessDriver(sim) : sim;
    this.o.engine.onStage((s) => this.onStage(s));
    this.o.engine.onEnded((s) => {
      this.queuedOnce.get(s.id)?.cancel();
      this.queuedOnce.delete(s.id);
    });
  }

  /** Injections asked of the simulator and not yet answered. */
  get pending(): number {
    return this.injecting;
  }

  /** Agents log in and go ready; their softphones and the plan's trunks answer. */
  async staff(): Promise<void> {
    const { store, rnd } = this.o;
    const [minTalk, maxTalk] = this.o.talkSeconds;
    for (const a of this.o.roster) {
      const endpoint = a.endpoint ?? `PJSIP/${a.id}`;
      // Each offer sets the talk time as it rings; until then an agent talks an average call.
      await this.sim.setEndpoint(endpoint, {
        behaviour: 'answer',
        answerAfterMs: Math.round(rnd.between(800, 3000)),
        hangupAfterMs: Math.round(((minTalk + maxTalk) / 2) * 1000),
        online: true,
      });
      await store.login(a.id, endpoint);
      await store.setDeviceAvailable(a.id, true);
      await store.ready(a.id);
    }
    for (const dial of planTrunkEndpoints(this.o.plan)) {
      await this.sim.setEndpoint(dial, {
        behaviour: 'answer',
        answerAfterMs: Math.round(rnd.between(1500, 4000)),
        hangupAfterMs: Math.round(rnd.between(30_000, 90_000)),
        online: true,
      });
    }
  }

  /**
   * Places one call: picks a number, a caller and the keys they will press. Resolves with the
   * caller's channel id, or undefined when the simulator did not take the call (counted in
   * `errors`); never rejects.
   */
  async placeCall(): Promise<string | undefined> {
    return (await this.placeCallDetailed())?.channelId;
  }

  /** Places one call (see placeCall), resolving with what the simulator did with it. */
  async placeCallDetailed(): Promise<InjectedCall | undefined> {
    const { plan, rnd } = this.o;
    const lines = [...plan.lines.values()];
    const main = lines.find((l) => l.mode === 'main') ?? lines[0]!;
    const line = rnd.chance(this.o.mainShare) ? main : rnd.pick(lines);
    const callerNumber = `1${rnd.int(30, 99)}${String(rnd.int(0, 99_999_999)).padStart(8, '0')}`;
    const script = this.script(line.number);
    this.placed++;
    this.injecting++;
    try {
      const injected = await this.sim.injectCall({
        app: rnd.pick(this.o.apps),
        dialed: line.number,
        callerNumber,
        script,
      });
      this.offered++;
      if (injected.shed !== undefined) this.shedInDialplan++;
      return injected;
    } catch (err) {
      this.failed(err);
      return undefined;
    } finally {
      this.injecting--;
    }
  }

  /** Runs a request to the simulator in the background; a gone channel is not a failure. */
  private send(request: Promise<void>): void {
    request.catch((err: unknown) => this.failed(err));
  }

  private failed(err: unknown): void {
    if (isChannelGone(err)) {
      this.gone++;
      return;
    }
    this.errors++;
    this.lastError = (err as Error)?.message ?? String(err);
  }

  /** The keys a caller presses: a valid option mostly, sometimes a wrong key, sometimes nothing. */
  private script(number: string): CallerStep[] {
    const { plan, rnd, clock } = this.o;
    if (rnd.chance(this.o.earlyHangup))
      return [{ wait: Math.round(rnd.between(500, 4000)) }, { hangup: true }];
    const line = plan.linesByNumber.get(number)!;
    const phase = phaseAt(line, clock.now());
    if (!phase) return [];
    const steps: CallerStep[] = [];
    let step: RouteStep = followRoute(plan, phase.route, { line, atMs: clock.now() }).step;
    for (let depth = 0; depth < 4 && step.kind === 'menu'; depth++) {
      const menu = step.menu;
      steps.push({ wait: Math.round(rnd.between(2500, 6000)) });
      const roll = rnd.next();
      if (roll < 0.1) return steps; // lets the menu time out
      if (roll < 0.18) {
        steps.push({ dtmf: '9' }, { wait: 3000 });
      }
      const option = rnd.pick(menu.options);
      steps.push({ dtmf: option.digits });
      step = followRoute(plan, option.route, { line, atMs: clock.now() }).step;
    }
    if (step.kind === 'progress-query')
      steps.push({ wait: 3000 }, { dtmf: `${rnd.int(2_021_000, 2_026_999)}#` });
    return steps;
  }

  /** An agent passes the call on to a sub-center after a short talk, as the plan links them. */
  private transferLater(callId: string): void {
    const { plan, clock, rnd, engine } = this.o;
    const targets = [...plan.subcenters.keys()].map((id) => `subcenter:${id}`);
    if (targets.length === 0) return;
    const mode = rnd.pick(['three-way', 'consult', 'blind'] as const);
    const target = rnd.pick(targets);
    clock.after(rnd.between(3000, 8000), () => {
      if (engine.call(callId)?.stage !== 'talking') return;
      engine.request(callId, { kind: 'transfer', target, mode });
      if (mode === 'blind') return;
      clock.after(6000, () => {
        const x = engine.call(callId)?.transfer;
        if (!x || x.answeredAt === undefined) return;
        engine.request(callId, mode === 'consult' ? { kind: 'transfer-complete' } : { kind: 'agent-leave' });
      });
    });
  }

  // Timers here keep the call's id, not its state: an ended call's state is not held on to.
  private onStage(s: CallState): void {
    const { clock, rnd } = this.o;
    const id = s.id;
    if (s.stage === 'queued' && !s.offer) {
      // Patience runs from the first time the call waits in a queue.
      if (this.queuedOnce.has(id)) return;
      const wait = rnd.between(...this.o.patienceSeconds) * 1000;
      const timer = clock.after(wait, () => {
        this.queuedOnce.set(id, undefined);
        const now = this.o.engine.call(id);
        if (now && (now.stage === 'queued' || now.stage === 'ringing')) this.send(this.sim.hangup(id));
      });
      this.queuedOnce.set(id, timer);
    } else if (s.stage === 'ringing' && s.offer) {
      const talk = Math.round(rnd.between(...this.o.talkSeconds) * 1000);
      this.send(
        this.sim.setEndpoint(s.offer.endpoint, {
          behaviour: 'answer',
          answerAfterMs: Math.round(rnd.between(800, 3000)),
          hangupAfterMs: talk,
          online: true,
        }),
      );
    } else if (s.stage === 'talking' && s.agent && rnd.chance(this.o.transferShare)) {
      this.transferLater(id);
    } else if (s.stage === 'survey') {
      if (rnd.chance(0.7)) {
        const digit = String(rnd.pick([5, 5, 5, 4, 4, 3, 2, 1]));
        clock.after(rnd.between(2000, 4000), () => {
          if (this.o.engine.call(id)?.stage === 'survey') this.send(this.sim.sendDtmf(id, digit));
        });
      }
    }
  }
}
