import type { Logger } from 'pino';
import type { AcdStore } from '../acd/store/port.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import type { RosterEntry } from '../roster.ts';
import type { AuditLog, RosterAuditAction } from './ledgers.ts';
import {
  type AdminAgent,
  type AgentFieldsInput,
  addAgent,
  changeAgent,
  changedFields,
  engineRoster,
  mergeRoster,
  type NewAgentInput,
  type RosterEdit,
  setDisabled,
} from './roster-edits.ts';
import type { RosterEditStore } from './roster-store.ts';
import type { Principal } from './tokens.ts';

/** What a roster change is applied to: a running engine (src/app.ts `Hotline`). */
export interface RosterTarget {
  store: AcdStore;
  /** Declares the roster to the ACD and the dial allow-list (the path the start-up roster takes). */
  setRoster(roster: RosterEntry[], disabled: ReadonlySet<string>): Promise<void>;
}

export interface RosterAdminOptions {
  /** The roster file's entries (or the demo roster): the agents no administrator changed. */
  baseline: readonly RosterEntry[];
  store: RosterEditStore;
  audit: AuditLog;
  /** The live plan: pools and expert seats are checked against it. */
  plan: () => RoutingPlan;
  clock: Clock;
  logger: Logger;
}

/**
 * Agents administered without editing YAML: add, change, disable and enable agents, checked
 * against the live plan, kept in the store, applied at once to the running engines (the ACD's
 * roster and the dial allow-list; the dispatcher decides again with the new definitions) and
 * written to the audit log with the agent before and after. Changes are made one at a time.
 *
 * A disabled agent is in no pool and no expert seat from the moment it is disabled, so it is
 * offered no further call; an agent on a call (or offered one, or in wrap-up) finishes it, and
 * is logged out once it is idle (ready or not ready).
 */
export class RosterAdmin {
  private roster: AdminAgent[];
  private version: number;
  private readonly targets = new Map<RosterTarget, () => void>();
  private chain: Promise<unknown> = Promise.resolve();
  private watcher?: TimerHandle;
  /** The ids of every agent in the roster, kept current (the wallboard's agents). */
  readonly ids = new Set<string>();

  private constructor(
    private readonly o: RosterAdminOptions,
    kept: { version: number; agents: AdminAgent[] },
  ) {
    this.roster = mergeRoster(o.baseline, kept.agents);
    this.version = kept.version;
    this.refreshIds();
  }

  static async open(o: RosterAdminOptions): Promise<RosterAdmin> {
    return new RosterAdmin(o, await o.store.load());
  }

  /** Every agent, the roster file's first, then the ones added. */
  get agents(): readonly AdminAgent[] {
    return this.roster;
  }

  agent(id: string): AdminAgent | undefined {
    return this.roster.find((a) => a.id === id);
  }

  /** The roster an engine starts with (disabled agents in no pool or seat). */
  engineRoster(): { entries: RosterEntry[]; disabled: Set<string> } {
    return engineRoster(this.roster);
  }

  /**
   * Applies the roster to a running engine now and every change from now on; disabled agents
   * idle on it are logged out. Returns the detach function.
   */
  async attach(target: RosterTarget): Promise<() => void> {
    const unsubscribe = target.store.onChange((c) => {
      if (
        c.kind === 'agent' &&
        (c.state === 'ready' || c.state === 'not-ready') &&
        this.isDisabled(c.agentId)
      )
        void this.logOut(target.store, c.agentId);
    });
    this.targets.set(target, unsubscribe);
    await this.applyTo(target);
    for (const a of this.roster) if (a.disabled) await this.logOutIfIdle(target.store, a.id);
    return () => {
      unsubscribe();
      this.targets.delete(target);
    };
  }

  add(who: Principal, input: NewAgentInput): Promise<AdminAgent> {
    return this.edit(who, 'roster-add', (r) => addAgent(r, input, this.o.plan()));
  }

  change(who: Principal, id: string, fields: AgentFieldsInput): Promise<AdminAgent> {
    return this.edit(who, 'roster-change', (r) => changeAgent(r, id, fields, this.o.plan()));
  }

  disable(who: Principal, id: string): Promise<AdminAgent> {
    return this.edit(who, 'roster-disable', (r) => setDisabled(r, id, true));
  }

  enable(who: Principal, id: string): Promise<AdminAgent> {
    return this.edit(who, 'roster-enable', (r) => setDisabled(r, id, false));
  }

  /**
   * Reads the store again if another process changed it (its version moved) and applies what it
   * holds; true if it did.
   */
  refresh(): Promise<boolean> {
    return this.serial(async () => {
      const version = await this.o.store.version();
      if (version === this.version) return false;
      const kept = await this.o.store.load();
      this.roster = mergeRoster(this.o.baseline, kept.agents);
      this.version = kept.version;
      this.refreshIds();
      await this.applyAll();
      for (const a of this.roster)
        if (a.disabled) for (const t of this.stores()) await this.logOutIfIdle(t, a.id);
      this.o.logger.info({ version }, 'roster changed by another process: applied');
      return true;
    });
  }

  /** Looks for other processes' changes every `everyMs` (Redis: several engine processes). */
  watch(everyMs: number): void {
    const tick = () => {
      this.watcher = this.o.clock.after(everyMs, () => {
        this.refresh()
          .catch((err) => this.o.logger.warn({ err: (err as Error).message }, 'roster refresh failed'))
          .finally(() => {
            if (this.watcher) tick();
          });
      });
    };
    tick();
  }

  close(): void {
    this.watcher?.cancel();
    this.watcher = undefined;
    for (const unsubscribe of this.targets.values()) unsubscribe();
    this.targets.clear();
  }

  private edit(
    who: Principal,
    action: RosterAuditAction,
    make: (roster: readonly AdminAgent[]) => RosterEdit,
  ): Promise<AdminAgent> {
    return this.serial(async () => {
      const edit = make(this.roster);
      const changed = changedFields(edit.before, edit.after);
      if (changed.length === 0) return edit.after;
      this.version = await this.o.store.save(edit.after);
      this.roster = edit.roster;
      this.refreshIds();
      await this.applyAll();
      if (edit.after.disabled) for (const s of this.stores()) await this.logOutIfIdle(s, edit.after.id);
      await this.o.audit.append({
        at: new Date(this.o.clock.now()).toISOString(),
        tokenId: who.tokenId,
        role: who.role,
        action,
        agent: edit.after.id,
        changed,
        ...(edit.before ? { before: edit.before } : {}),
        after: edit.after,
      });
      this.o.logger.info({ action, agent: edit.after.id, changed, by: who.tokenId }, 'roster changed');
      return edit.after;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.catch(() => undefined).then(fn);
    this.chain = run;
    return run;
  }

  private refreshIds(): void {
    this.ids.clear();
    for (const a of this.roster) this.ids.add(a.id);
  }

  private isDisabled(id: string): boolean {
    return this.agent(id)?.disabled === true;
  }

  private async applyAll(): Promise<void> {
    for (const t of this.targets.keys()) await this.applyTo(t);
  }

  private async applyTo(target: RosterTarget): Promise<void> {
    const { entries, disabled } = engineRoster(this.roster);
    await target.setRoster(entries, disabled);
  }

  /** The ACD stores of the engines attached (engines of one process share the store's contents). */
  private stores(): AcdStore[] {
    return [...new Set([...this.targets.keys()].map((t) => t.store))];
  }

  private async logOutIfIdle(store: AcdStore, id: string): Promise<void> {
    const state = (await store.getAgent(id))?.status.state;
    if (state === 'ready' || state === 'not-ready') await this.logOut(store, id);
  }

  private async logOut(store: AcdStore, id: string): Promise<void> {
    try {
      await store.logout(id);
      this.o.logger.info({ agent: id }, 'disabled agent logged out');
    } catch {
      // Another engine logged it out first, or it took a call meanwhile (it is logged out after).
    }
  }
}
