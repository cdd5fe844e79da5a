import { type Column, cells } from './report-columns.ts';

/** The byte-order mark that makes Excel read a CSV file as UTF-8 (Chinese headers and names). */
export const UTF8_BOM = '\uFEFF';

/** One field: quoted when it holds a comma, a quote, a line break or leading/trailing space. */
export function csvField(text: string): string {
  // A field starting with = + - @ is a formula to a spreadsheet: keys come from the rules and the
  // roster, so an id like "=cmd" is written as text (a leading apostrophe), never evaluated. A
  // number, and the lone "-" of a call without a queue or agent, are left as they are.
  const formula = /^[=+\-@\t\r]/.test(text) && text !== '-' && !/^-?\d+(\.\d+)?%?$/.test(text);
  const safe = formula ? `'${text}` : text;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** RFC 4180 text: a header line, one line per row, CRLF line ends, the BOM first (Excel). */
export function toCsv<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const lines = [columns.map((c) => csvField(c.header)), ...cells(columns, rows).map((r) => r.map(csvField))];
  return `${UTF8_BOM}${lines.map((l) => l.join(',')).join('\r\n')}\r\n`;
}
