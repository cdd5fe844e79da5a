import { parseDocument } from 'yaml';
import type { RuleProblem } from './problems.ts';
import { type ListSection, listSections, RulesFile } from './schema.ts';
import { documentExceeds, textExceeds, yamlLimits } from './yaml-limits.ts';

/**
 * What changes between two rule sets, as a person reviewing a publication or a rollback reads it:
 * per section (lines, groups and their phases, menus, pools …) the items added, removed, changed
 * or moved to another file, each change located by field (`phases[transition].route.goto`) with
 * its value before and after. Items are matched by id (menu options by their keys), so reordering
 * a list or reformatting a file is no change; schema defaults are filled in on both sides, so
 * writing a default out is none either. Pure: rules files in, data out.
 */

export type RuleSection = 'center' | ListSection;

/** Sections in the order a reviewer reads them: the center, the numbers, how they route, the rest. */
export const diffSectionOrder: readonly RuleSection[] = [
  'center',
  'lines',
  'groups',
  'menus',
  'pools',
  'experts',
  'subcenters',
  'departments',
  'emergency',
  'centers',
  'directory',
  'answers',
  'selfService',
  'callerClasses',
  'schedules',
  'calendars',
];

/** One item of a rule set: its schema-checked value and the file it is written in. */
interface RuleItem {
  value: Record<string, unknown>;
  file: string;
}

/** A rule set as written: each section's items by id (the center under its own id). */
export type RuleSet = ReadonlyMap<RuleSection, ReadonlyMap<string, RuleItem>>;

/** One field of an item that differs: absent `before` means added, absent `after` removed. */
export interface FieldChange {
  /** Inside the item, as problems name places: `phases[transition].route.goto`, `options[1].label`. */
  path: string;
  /** The same, one entry per step: field names, and `[id]` for an item of a list. */
  segments: string[];
  before?: string;
  after?: string;
}

export interface ItemChange {
  section: RuleSection;
  id: string;
  change: 'added' | 'removed' | 'changed' | 'moved';
  /** What names the item for a reader: a line's number and name, another item's name. */
  label?: string;
  /** The file it is in (the earlier one for a removed item). */
  file: string;
  /** The file it was in, when it moved. */
  movedFrom?: string;
  /** Changed fields; for an added or removed item, each of its fields. */
  fields: FieldChange[];
  /** For a group: the numbers of the lines in it (their phases are the group's). */
  lines?: string[];
}

export interface RulesDiff {
  changes: ItemChange[];
  counts: { added: number; removed: number; changed: number; moved: number };
}

/**
 * Reads rules files (`{ "lines.yaml": "…" }`) into a rule set, each file held to the YAML limits
 * and checked against the rules file schema. A file that does not read is left out with a
 * problem: callers diff only rule sets that validated.
 */
export function readRuleSet(files: Readonly<Record<string, string>>): {
  rules: RuleSet;
  problems: RuleProblem[];
} {
  const sections = new Map<RuleSection, Map<string, RuleItem>>(
    diffSectionOrder.map((s) => [s, new Map<string, RuleItem>()]),
  );
  const problems: RuleProblem[] = [];
  for (const file of Object.keys(files).sort()) {
    const content = readFile(file, files[file] ?? '', problems);
    if (!content) continue;
    if (content.center) put(sections.get('center')!, content.center.id, content.center, file);
    for (const section of listSections) {
      const items = (content[section] ?? []) as { id: string }[];
      for (const item of items) put(sections.get(section)!, item.id, item, file);
    }
  }
  return { rules: sections, problems };
}

function put(items: Map<string, RuleItem>, id: string, value: object, file: string): void {
  // A duplicate id is the validator's to refuse: the first one counts here.
  if (!items.has(id)) items.set(id, { value: value as Record<string, unknown>, file });
}

function readFile(file: string, text: string, problems: RuleProblem[]) {
  const refuse = (message: string) => {
    problems.push({ file, path: '', message });
    return undefined;
  };
  if (Buffer.byteLength(text, 'utf8') > yamlLimits.maxBytes) {
    return refuse(`is larger than ${yamlLimits.maxBytes} bytes`);
  }
  const early = textExceeds(text, yamlLimits);
  if (early) return refuse(early.message);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) return refuse('YAML syntax error');
  const exceeded = documentExceeds(doc, yamlLimits);
  if (exceeded) return refuse(exceeded.message);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: -1 });
  } catch {
    return refuse('YAML error');
  }
  const parsed = RulesFile.safeParse(data);
  if (!parsed.success) return refuse('does not match the rules file schema');
  return parsed.data;
}

/** What changes from `before` to `after`. */
export function diffRules(before: RuleSet, after: RuleSet): RulesDiff {
  const changes: ItemChange[] = [];
  for (const section of diffSectionOrder) {
    const a = before.get(section) ?? new Map<string, RuleItem>();
    const b = after.get(section) ?? new Map<string, RuleItem>();
    // The center is one item whatever its id: a changed id is a changed field.
    if (section === 'center') {
      const [x] = a.values();
      const [y] = b.values();
      const c = itemChange(section, x, y);
      if (c) changes.push(c);
      continue;
    }
    for (const id of [...b.keys(), ...[...a.keys()].filter((k) => !b.has(k))]) {
      const c = itemChange(section, a.get(id), b.get(id));
      if (c) changes.push(c);
    }
  }
  for (const c of changes) {
    if (c.section === 'groups') c.lines = groupLines(c.change === 'removed' ? before : after, c.id);
  }
  const count = (k: ItemChange['change']) => changes.filter((c) => c.change === k).length;
  return {
    changes,
    counts: {
      added: count('added'),
      removed: count('removed'),
      changed: count('changed'),
      moved: count('moved'),
    },
  };
}

function groupLines(rules: RuleSet, group: string): string[] {
  return [...(rules.get('lines')?.values() ?? [])]
    .filter((l) => l.value.group === group)
    .map((l) => String(l.value.number));
}

function itemChange(
  section: RuleSection,
  before: RuleItem | undefined,
  after: RuleItem | undefined,
): ItemChange | undefined {
  const item = (after ?? before)?.value;
  if (!item) return undefined;
  const base = {
    section,
    id: String(item.id),
    ...labelOf(item),
    file: (after ?? before)!.file,
  };
  if (!before || !after) {
    const fields = Object.entries(item)
      .filter(([k, v]) => k !== 'id' && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => field([k], before ? v : undefined, after ? v : undefined));
    return { ...base, change: before ? 'removed' : 'added', fields };
  }
  const fields: FieldChange[] = [];
  diffValue(before.value, after.value, [], fields);
  const moved = before.file !== after.file ? { movedFrom: before.file } : {};
  if (fields.length > 0) return { ...base, change: 'changed', ...moved, fields };
  if (before.file !== after.file) return { ...base, change: 'moved', ...moved, fields };
  return undefined;
}

function labelOf(item: Record<string, unknown>): { label?: string } {
  const label = [item.number, item.name].filter((x) => typeof x === 'string' && x !== '').join(' ');
  return label ? { label } : {};
}

function field(segments: string[], before: unknown, after: unknown): FieldChange {
  return {
    path: segments.reduce((p, s) => (s.startsWith('[') || p === '' ? `${p}${s}` : `${p}.${s}`), ''),
    segments,
    ...(before !== undefined ? { before: show(before) } : {}),
    ...(after !== undefined ? { after: show(after) } : {}),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The key list items are matched by: `id`, or a menu option's `digits`; undefined: by value. */
function keyOf(a: unknown[], b: unknown[]): 'id' | 'digits' | undefined {
  const all = [...a, ...b];
  for (const key of ['id', 'digits'] as const) {
    const unique = (list: unknown[]) =>
      new Set(list.map((x) => (x as Record<string, unknown>)[key])).size === list.length;
    if (all.every((x) => isObject(x) && typeof x[key] === 'string') && unique(a) && unique(b)) return key;
  }
  return undefined;
}

function diffValue(before: unknown, after: unknown, at: string[], out: FieldChange[]): void {
  if (same(before, after)) return;
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const k of keys) diffValue(before[k], after[k], [...at, k], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const key = keyOf(before, after);
    if (key) {
      const byKey = (list: unknown[]) =>
        new Map(list.map((x) => [String((x as Record<string, unknown>)[key]), x] as const));
      const a = byKey(before);
      const b = byKey(after);
      for (const k of [...b.keys(), ...[...a.keys()].filter((x) => !b.has(x))]) {
        diffValue(a.get(k), b.get(k), [...at, `[${k}]`], out);
      }
      return;
    }
  }
  out.push(field(at, before, after));
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
  }
  return false;
}

/**
 * A value on one line: strings as written, lists `[a, b]`, mappings `{key: value}` (without their
 * empty lists, such as a route's default `prompts: []`).
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (isObject(value)) {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(', ')}}`;
  }
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
