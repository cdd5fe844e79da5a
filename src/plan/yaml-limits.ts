import { type Document, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import { type RuleProblem, RulesInvalidError } from './problems.ts';

/**
 * Bounds on a YAML file before it is turned into data and schema-checked. A rules file is written
 * by people: it is small, shallow and uses few aliases. Without bounds a small file can expand
 * (`&a [*b, *b, …]` nested: "billion laughs") into more data than the engine can hold, and each
 * expanded node is checked and reported again.
 */
export interface YamlLimits {
  /** Bytes of the file (UTF-8). */
  maxBytes: number;
  /** Alias nodes (`*name`) written in the file. */
  maxAliases: number;
  /** Nesting of collections, counted with aliases expanded. */
  maxDepth: number;
  /** Nodes of the data with every alias expanded (a billion-laughs file has few written ones). */
  maxNodes: number;
  /**
   * Nodes aliases add (each is checked again, as if written out): an anchor of 2,000 nodes named
   * by 100 aliases makes 200,000 nodes to check, and as many problems when it is invalid.
   */
  maxAliasedNodes: number;
  /** Characters of one mapping key. */
  maxKeyLength: number;
  /** Problems reported for one file (the rest are counted: "and N more"). */
  maxProblems: number;
}

export const yamlLimits: YamlLimits = {
  maxBytes: 1024 * 1024,
  maxAliases: 100,
  maxDepth: 64,
  maxNodes: 200_000,
  maxAliasedNodes: 10_000,
  maxKeyLength: 1024,
  maxProblems: 200,
};

/** Which bound a file exceeded, as APIs name it. */
export type YamlLimitName = 'size' | 'aliases' | 'depth' | 'nodes' | 'key-length';

export interface YamlLimitProblem extends RuleProblem {
  limit: YamlLimitName;
}

/** Rules refused because a file exceeds a bound of `YamlLimits` (they are invalid rules too). */
export class RulesLimitError extends RulesInvalidError {
  readonly limit: YamlLimitName;
  constructor(limit: YamlLimitName, problems: RuleProblem[]) {
    super(problems);
    this.limit = limit;
  }
}

/**
 * A cheap look at the text before it is parsed (the parser recurses on nesting, and its time grows
 * with aliases times the size of what they name): the deepest flow collection (`[[[…]]]`,
 * `{a: {a: …}}`), the longest chain of compact sequence entries on one line (`- - - - x`) and the
 * number of aliases (`*name`). Quoted strings and comments are skipped. Returns the first bound
 * exceeded, or undefined.
 */
export function textExceeds(
  text: string,
  limits: Pick<YamlLimits, 'maxDepth' | 'maxAliases'>,
): { limit: YamlLimitName; message: string } | undefined {
  const tooDeep = { limit: 'depth' as const, message: `is nested deeper than ${limits.maxDepth} levels` };
  let depth = 0;
  let quote: '"' | "'" | undefined;
  let comment = false;
  let dashes = 0;
  let aliases = 0;
  let previous = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\n') {
      comment = false;
      dashes = 0;
      previous = c;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      previous = c;
      continue;
    }
    const afterSpace = previous === ' ' || previous === '\t' || previous === '\n';
    if (c === '#' && afterSpace) comment = true;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > limits.maxDepth) return tooDeep;
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '-' && afterSpace && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
      if (++dashes > limits.maxDepth) return tooDeep;
    } else if (c === '*' && (afterSpace || previous === '[' || previous === '{' || previous === ',')) {
      if (++aliases > limits.maxAliases) {
        return { limit: 'aliases', message: `uses more than ${limits.maxAliases} YAML aliases (*name)` };
      }
    }
    if (c !== ' ' && c !== '\t' && c !== '-') dashes = 0;
    previous = c;
  }
  return undefined;
}

interface Measure {
  nodes: number;
  depth: number;
}

interface Frame {
  node: object;
  kids: unknown[];
  next: number;
  nodes: number;
  depth: number;
}

/**
 * Measures a parsed document with aliases expanded, without expanding them (each node is measured
 * once). Returns the first bound exceeded and a message saying it, or undefined.
 */
export function documentExceeds(
  doc: Document,
  limits: YamlLimits,
): { limit: YamlLimitName; message: string } | undefined {
  const done = new Map<object, Measure>();
  const open = new Set<object>();
  /** Anchors seen so far in document order: an alias names the last one before it. */
  const anchors = new Map<string, object>();
  let aliases = 0;
  let aliased = 0;
  const stack: Frame[] = [];
  let result: Measure | undefined;

  const childrenOf = (node: object): unknown[] => {
    if (isMap(node)) return node.items.flatMap((p) => (isPair(p) ? [p.key, p.value] : []));
    if (isSeq(node)) return node.items;
    return [];
  };
  const finish = (m: Measure) => {
    const parent = stack[stack.length - 1];
    if (!parent) result = m;
    else {
      parent.nodes += m.nodes;
      parent.depth = Math.max(parent.depth, m.depth + 1);
    }
  };

  const root = doc.contents;
  if (!root) return undefined;
  const push = (node: object) => {
    const anchor = (node as { anchor?: unknown }).anchor;
    if (typeof anchor === 'string') anchors.set(anchor, node);
    open.add(node);
    stack.push({ node, kids: childrenOf(node), next: 0, nodes: 1, depth: 0 });
  };
  push(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.nodes > limits.maxNodes) {
      return { limit: 'nodes', message: `expands to more than ${limits.maxNodes} values (aliases included)` };
    }
    if (stack.length > limits.maxDepth) {
      return { limit: 'depth', message: `is nested deeper than ${limits.maxDepth} levels` };
    }
    if (frame.next >= frame.kids.length) {
      stack.pop();
      open.delete(frame.node);
      const m = { nodes: frame.nodes, depth: frame.depth };
      done.set(frame.node, m);
      finish(m);
      continue;
    }
    const kid = frame.kids[frame.next++];
    if (kid === null || typeof kid !== 'object') continue;
    if (isMap(frame.node) && frame.next % 2 === 1 && isScalar(kid)) {
      const key = kid.value;
      if (typeof key === 'string' && key.length > limits.maxKeyLength) {
        return { limit: 'key-length', message: `has a key longer than ${limits.maxKeyLength} characters` };
      }
    }
    if (isAlias(kid)) {
      if (++aliases > limits.maxAliases) {
        return { limit: 'aliases', message: `uses more than ${limits.maxAliases} YAML aliases (*name)` };
      }
      const target = anchors.get(kid.source);
      if (!target) continue; // reported when the document is turned into data
      if (open.has(target)) {
        return { limit: 'depth', message: `has an alias (*${kid.source}) inside the value it names` };
      }
      const m = done.get(target);
      if (!m) {
        push(target);
        continue;
      }
      aliased += m.nodes;
      if (aliased > limits.maxAliasedNodes) {
        return {
          limit: 'nodes',
          message: `has aliases that expand to more than ${limits.maxAliasedNodes} values (write the values out, or alias less)`,
        };
      }
      finish(m);
      continue;
    }
    if (done.has(kid)) finish(done.get(kid) as Measure);
    else push(kid);
  }
  if (result && result.nodes > limits.maxNodes) {
    return { limit: 'nodes', message: `expands to more than ${limits.maxNodes} values (aliases included)` };
  }
  return result && result.depth > limits.maxDepth
    ? { limit: 'depth', message: `is nested deeper than ${limits.maxDepth} levels` }
    : undefined;
}

/** The problems saying "and N more", with their N. */
const hiddenBy = new WeakMap<RuleProblem, number>();

/** The problem saying `count` more problems (of `file`, or of the whole set) were not reported. */
export function moreProblems(count: number, max: number, file = ''): RuleProblem {
  const problem = {
    file,
    path: '',
    message: `and ${count} more problem${count > 1 ? 's' : ''} (at most ${max} are reported)`,
  };
  hiddenBy.set(problem, count);
  return problem;
}

/**
 * At most `max` problems, then one saying how many more there were (those a file already left out
 * included: a file's own "and N more" is folded into the total).
 */
export function capProblems<T extends RuleProblem>(problems: T[], max: number, file = ''): RuleProblem[] {
  const real = problems.filter((p) => !hiddenBy.has(p));
  if (real.length <= max) return problems;
  const hidden = problems.reduce((n, p) => n + (hiddenBy.get(p) ?? 0), 0);
  return [...real.slice(0, max), moreProblems(real.length - max + hidden, max, file)];
}
