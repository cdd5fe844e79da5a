import { describe, expect, it } from 'vitest';
import {
  type AdminAgent,
  addAgent,
  changeAgent,
  changedFields,
  engineRoster,
  fromRosterEntry,
  mergeRoster,
  RosterEditError,
  setDisabled,
} from '../../src/admin/roster-edits.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { plans } from '../support/engine-harness.ts';

const plan = plans.sichuan();
const file: RosterEntry[] = [
  { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
  { id: 'a1002', name: '李强', pools: ['general'] },
];
const fields = { name: '张华', skills: { general: 5 }, pools: ['general'], expertSeats: [] };

const refused = (fn: () => unknown): RosterEditError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof RosterEditError) return err;
    throw err;
  }
  throw new Error('not refused');
};

describe('the roster in force', () => {
  it("is the file's agents, each replaced by its administered version, then the agents added by id", () => {
    const edited: AdminAgent = { ...fromRosterEntry(file[1]!), name: '李强强', disabled: true };
    const added: AdminAgent = { id: 'a0500', ...fields, disabled: false };
    const roster = mergeRoster(file, [added, edited]);
    expect(roster.map((a) => [a.id, a.name, a.disabled])).toEqual([
      ['a1001', '王敏', false],
      ['a1002', '李强强', true],
      ['a0500', '张华', false],
    ]);
  });

  it('gives the engine a disabled agent in no pool or seat, and says which are disabled', () => {
    const roster = setDisabled(mergeRoster(file, []), 'a1001', true).roster;
    const { entries, disabled } = engineRoster(roster);
    expect(entries.find((e) => e.id === 'a1001')).toMatchObject({ pools: [], expertSeats: [] });
    expect(entries.find((e) => e.id === 'a1002')).toMatchObject({ pools: ['general'] });
    expect(disabled).toEqual(new Set(['a1001']));
  });
});

describe('an edit', () => {
  const roster = mergeRoster(file, []);

  it('adds an agent with the plan ids it was given, enabled', () => {
    const edit = addAgent(roster, { id: 'a2001', ...fields, expertSeats: ['legal'] }, plan);
    expect(edit.before).toBeUndefined();
    expect(edit.after).toEqual({ id: 'a2001', ...fields, expertSeats: ['legal'], disabled: false });
    expect(edit.roster).toHaveLength(3);
  });

  it('refuses an implicit phone already taken: a1002 has PJSIP/a1002, so does a new agent naming none', () => {
    const err = refused(() =>
      addAgent(mergeRoster(file, []), { id: 'x', ...fields, endpoint: 'PJSIP/a1002' }, plan),
    );
    expect(err.field).toBe('endpoint');
    expect(err.message).toContain('agent "a1002"');
  });

  it('refuses a pool named twice', () => {
    const err = refused(() => addAgent(roster, { id: 'x', ...fields, pools: ['general', 'general'] }, plan));
    expect(err.field).toBe('pools.1');
  });

  it('keeps whether the agent is disabled when its definition changes, and names what changed', () => {
    const off = setDisabled(roster, 'a1001', true).roster;
    const edit = changeAgent(off, 'a1001', { ...fields, name: '王敏', endpoint: 'PJSIP/agent1001' }, plan);
    expect(edit.after.disabled).toBe(true);
    expect(changedFields(edit.before, edit.after)).toEqual([]);
    const more = changeAgent(
      off,
      'a1001',
      { ...fields, endpoint: 'PJSIP/agent1001', skills: { tax: 2 } },
      plan,
    );
    expect(changedFields(more.before, more.after)).toEqual(['name', 'skills']);
  });

  it('refuses an agent not in the roster with no-such-agent', () => {
    expect(refused(() => setDisabled(roster, 'nobody', true)).code).toBe('no-such-agent');
    expect(refused(() => changeAgent(roster, 'nobody', fields, plan)).code).toBe('no-such-agent');
  });
});
