import { describe, expect, it } from 'vitest';
import { DialAllowList } from '../../src/telephony/dial-allow-list.ts';
import { plans } from '../support/engine-harness.ts';

describe('the dial allow-list', () => {
  const plan = plans.sichuan();
  const list = DialAllowList.build({
    agents: [{ endpoint: 'PJSIP/agent1001', endpoints: ['PJSIP/desk-7'] }, { endpoint: 'PJSIP/agent1002' }],
    plan,
  });

  it("allows an agent leg only to a phone the roster assigns, every one of an agent's phones included", () => {
    expect(list.allows('PJSIP/agent1001', 'agent')).toBe(true);
    expect(list.allows('PJSIP/desk-7', 'agent')).toBe(true);
    expect(list.allows('PJSIP/agent1002', 'agent')).toBe(true);
    expect(list.allows('PJSIP/agent1003', 'agent')).toBe(false);
  });

  it('refuses numbers behind trunks, Local/ channels and near misses for an agent leg', () => {
    for (const endpoint of [
      'PJSIP/+8613912345678@sc-tax',
      'PJSIP/12366@sc-tax',
      'Local/13912345678@from-internal',
      'PJSIP/agent1001/sip:13912345678@10.0.0.9',
      'pjsip/agent1001',
      'PJSIP/agent1001 ',
    ])
      expect(list.allows(endpoint, 'agent')).toBe(false);
  });

  it("allows a target leg only to a dial string of the plan's sub-centers, department lines, emergency lines, centers and directory", () => {
    expect(plan.departments.size).toBeGreaterThan(0);
    for (const table of [plan.subcenters, plan.departments, plan.emergency, plan.centers, plan.directory])
      for (const t of table.values()) expect(list.allows(t.dial, 'target')).toBe(true);
    expect(list.allows('PJSIP/+8613912345678@sc-tax', 'target')).toBe(false);
    // An agent's phone is not a transfer target, nor a trunk an agent's phone.
    expect(list.allows('PJSIP/agent1001', 'target')).toBe(false);
    expect(list.allows(plan.subcenters.get('tax')!.dial, 'agent')).toBe(false);
  });

  it('counts what it allows', () => {
    expect(list.size.agents).toBe(3);
    expect(list.size.targets).toBeGreaterThan(0);
  });
});
