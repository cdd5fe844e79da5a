import type { SourceRule } from './schema.ts';

/** What a value rests on: a quoted document clause, a local setting, or nothing the rules say. */
export type Basis = 'document' | 'local' | 'unmarked';

export interface SourceBasis {
  basis: Basis;
  /** For `document`: the clause, in the document's words. */
  clause?: string;
  /** For `local`: why, when the rules say (`local: why`). */
  reason?: string;
}

/**
 * The source text for one field of an entry: the entry's single source, or the field's own in the
 * per-field form (`{ entry, from, until, … }`), else the form's `entry`.
 */
export function sourceText(source: SourceRule | undefined, field?: string): string | undefined {
  if (source === undefined) return undefined;
  if (typeof source === 'string') return source;
  return (field !== undefined ? source[field] : undefined) ?? source.entry;
}

/** Only a field's own mark in the per-field form (never the entry's). */
export function fieldSource(source: SourceRule | undefined, field: string): string | undefined {
  return source !== undefined && typeof source !== 'string' ? source[field] : undefined;
}

/** Reads a source text: `local` / `local: why` is a local setting; any other text a document clause. */
export function basisOf(text: string | undefined): SourceBasis {
  if (text === undefined) return { basis: 'unmarked' };
  const m = /^local(?:: (.+))?$/s.exec(text);
  if (m) return m[1] !== undefined ? { basis: 'local', reason: m[1] } : { basis: 'local' };
  return { basis: 'document', clause: text };
}

/** The keys a per-field source may name besides the entry's own fields. */
export const ENTRY_KEY = 'entry';
