import { Counter, type Registry } from 'prom-client';

export interface TotalsCounterOptions {
  name: string;
  help: string;
  registers: Registry[];
  /** The label the totals are kept by; without it, `read` gives one total under the key ''. */
  labelName?: string;
  /** The running totals the engine keeps, by label value (read at each scrape). */
  read: () => Iterable<readonly [string, number]>;
}

/**
 * A Prometheus counter fed by running totals kept elsewhere (the engines' statistics, the ARI
 * adapter's counts): each scrape adds what a total grew by since the last. A total that went
 * down (its owner restarted, an engine taken over left the group) adds nothing and is followed
 * from its new value, so the counter never goes back and no growth is counted twice. Every
 * label value read appears, at 0 until it grows.
 */
export function totalsCounter(options: TotalsCounterOptions): Counter {
  const seen = new Map<string, number>();
  const { labelName } = options;
  return new Counter({
    name: options.name,
    help: options.help,
    labelNames: labelName ? [labelName] : [],
    registers: options.registers,
    collect() {
      for (const [value, total] of options.read()) {
        const grown = Math.max(0, total - (seen.get(value) ?? 0));
        if (labelName) this.inc({ [labelName]: value }, grown);
        else this.inc(grown);
        seen.set(value, total);
      }
    },
  });
}
