import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A CPU budget for one process (all its threads, and those it starts later): a cgroup of its own
// with a CFS quota, as a host with that much CPU would give it. cgroup v1's `cpu` controller
// (cpu.cfs_quota_us) or cgroup v2's `cpu.max`, whichever this machine mounts; root only.

/** The period of the quota: short, so that a budgeted process waits at most a few ms at a time. */
const PERIOD_US = 10_000;

interface Hierarchy {
  root: string;
  version: 1 | 2;
}

function hierarchy(): Hierarchy | undefined {
  if (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) return { root: '/sys/fs/cgroup/cpu', version: 1 };
  const v2 = '/sys/fs/cgroup';
  if (
    existsSync(join(v2, 'cgroup.controllers')) &&
    readFileSync(join(v2, 'cgroup.controllers'), 'utf8').includes('cpu')
  )
    return { root: v2, version: 2 };
  return undefined;
}

/** Why a budget cannot be set here, or undefined when it can. */
export function cpuBudgetUnavailable(): string | undefined {
  const h = hierarchy();
  if (!h) return 'no cgroup cpu controller is mounted (cgroup v1 cpu, or v2 with cpu enabled)';
  if (process.getuid?.() !== 0) return 'setting a cgroup CPU quota needs root';
  return undefined;
}

export interface CpuBudget {
  /** The share of one CPU, in percent. */
  percent: number;
  /** How long the process has been held back by its quota so far (ms). */
  throttledMs(): number;
  /** Removes the cgroup (once the process has exited; a live process is moved back to the root). */
  remove(): void;
}

/**
 * Puts process `pid` (every thread) in a new cgroup `name` with `percent` % of one CPU
 * (quota = percent × a 10 ms period).
 */
export function setCpuBudget(pid: number, name: string, percent: number): CpuBudget {
  const why = cpuBudgetUnavailable();
  if (why) throw new Error(`cannot set a CPU budget: ${why}`);
  if (!(percent >= 1 && percent <= 100)) throw new Error(`CPU budget ${percent}: a percentage from 1 to 100`);
  const h = hierarchy()!;
  const dir = join(h.root, name);
  mkdirSync(dir, { recursive: true });
  const quota = Math.round((PERIOD_US * percent) / 100);
  if (h.version === 1) {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
  } else writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
  // v1 and v2 alike: writing the pid to cgroup.procs moves the whole thread group
  writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  const stat = () => readFileSync(join(dir, 'cpu.stat'), 'utf8');
  return {
    percent,
    throttledMs: () => {
      const text = stat();
      const v1 = /^throttled_time (\d+)/m.exec(text); // ns
      if (v1) return Number(v1[1]) / 1e6;
      const v2 = /^throttled_usec (\d+)/m.exec(text);
      return v2 ? Number(v2[1]) / 1e3 : 0;
    },
    remove: () => {
      try {
        const left = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
        for (const p of left) writeFileSync(join(h.root, 'cgroup.procs'), p);
        rmdirSync(dir);
      } catch {
        // already gone
      }
    },
  };
}
