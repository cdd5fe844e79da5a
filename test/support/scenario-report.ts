import { appendFileSync } from 'node:fs';

/**
 * The figures of one reliability scenario, reported as one JSON line: the calls it placed, the
 * faults it injected, the records it expected and got, and the heap before and after. `.ci/run`
 * collects the lines (HOTLINE_SCENARIO_REPORT names the file) and prints them after the tests.
 */
export interface ScenarioFigures {
  scenario: string;
  calls: number;
  faultsInjected: number;
  recordsExpected: number;
  recordsDelivered: number;
  heapBeforeMiB: number;
  heapAfterMiB: number;
  [more: string]: string | number | boolean;
}

export const heapMiB = (): number => Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10;

export function reportScenario(figures: ScenarioFigures): void {
  const line = JSON.stringify(figures);
  const file = process.env.HOTLINE_SCENARIO_REPORT;
  if (file) appendFileSync(file, `${line}\n`);
}
