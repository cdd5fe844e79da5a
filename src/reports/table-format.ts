import { type Column, cells } from './report-columns.ts';

/**
 * Aligned text tables for a terminal. A CJK character (and a full-width form) takes two columns
 * on screen, a combining mark none: widths are counted as a terminal draws them, so the Chinese
 * headers and names line up with the figures under them.
 */

const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{2FFFD}\u{30000}-\u{3FFFD}]/u;
const ZERO = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/** How many terminal columns the text takes. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return width;
}

function pad(text: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return right ? fill + text : text + fill;
}

/** The table: headers, a rule, the rows; figures aligned right, text left, two spaces between columns. */
export function formatTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const body = cells(columns, rows);
  const widths = columns.map((c, i) =>
    Math.max(displayWidth(c.header), ...body.map((r) => displayWidth(r[i]!))),
  );
  const line = (values: string[]) =>
    values
      .map((v, i) => pad(v, widths[i]!, columns[i]!.numeric))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
  ].join('\n');
}
