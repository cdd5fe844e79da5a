import type { PromptEntry } from '../prompts/manifest.ts';
import type { CenterRule, ListSection, RulesFileContent } from './schema.ts';

/** An element of a list section with where it was written. */
export interface Located<T> {
  value: T;
  file: string;
  /** e.g. `lines[3]` */
  path: string;
}

type SectionItem<K extends ListSection> = NonNullable<RulesFileContent[K]>[number];

/**
 * The rule files merged, every element still knowing its file and path: what the loader reads,
 * the cross-check checks and the compiler compiles.
 */
export type RawRules = {
  dir: string;
  center: Located<CenterRule>;
  manifestFile: string;
  /** Absolute path of the prompt manifest. */
  manifestPath: string;
  prompts: Map<string, Located<PromptEntry>>;
} & { [K in ListSection]: Located<SectionItem<K>>[] };
