/**
 * Line diffs between two versions of a set of rules files: per file whether it was added,
 * removed, changed or left alone, the counts, and the changed lines with two lines of context
 * (`+ ` added, `- ` removed, `  ` context, `@@ line N` where a hunk starts in the new file).
 */
export interface FileDiff {
  file: string;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  added: number;
  removed: number;
  lines: string[];
}

type Op = { kind: ' ' | '+' | '-'; text: string; newLine: number };

const CONTEXT = 2;
/** Above this many cells the LCS table is skipped: the whole file shows as replaced. */
const MAX_CELLS = 4_000_000;

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function edits(a: string[], b: string[]): Op[] {
  // Common head and tail first: most edits touch a few lines of a long file.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const ops: Op[] = [];
  for (let i = 0; i < head; i++) ops.push({ kind: ' ', text: a[i]!, newLine: i + 1 });
  const n = x.length;
  const m = y.length;
  if (n * m > MAX_CELLS) {
    for (const t of x) ops.push({ kind: '-', text: t, newLine: head + 1 });
    y.forEach((t, j) => {
      ops.push({ kind: '+', text: t, newLine: head + j + 1 });
    });
  } else {
    // lcs[i][j]: length of the longest common subsequence of x[i..] and y[j..].
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) {
        ops.push({ kind: ' ', text: x[i]!, newLine: head + j + 1 });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
        ops.push({ kind: '+', text: y[j]!, newLine: head + j + 1 });
        j++;
      } else {
        ops.push({ kind: '-', text: x[i]!, newLine: head + j + 1 });
        i++;
      }
    }
  }
  for (let k = 0; k < tail; k++) {
    const ai = a.length - tail + k;
    ops.push({ kind: ' ', text: a[ai]!, newLine: b.length - tail + k + 1 });
  }
  return ops;
}

function hunks(ops: Op[]): string[] {
  const keep = new Array<boolean>(ops.length).fill(false);
  ops.forEach((op, k) => {
    if (op.kind === ' ') return;
    for (let c = Math.max(0, k - CONTEXT); c <= Math.min(ops.length - 1, k + CONTEXT); c++) keep[c] = true;
  });
  const out: string[] = [];
  let inHunk = false;
  ops.forEach((op, k) => {
    if (!keep[k]) {
      inHunk = false;
      return;
    }
    if (!inHunk) out.push(`@@ line ${op.newLine}`);
    inHunk = true;
    out.push(`${op.kind} ${op.text}`);
  });
  return out;
}

/** Diff of one file; `before`/`after` undefined when the file is absent on that side. */
export function diffFile(file: string, before: string | undefined, after: string | undefined): FileDiff {
  const ops = edits(splitLines(before ?? ''), splitLines(after ?? ''));
  const added = ops.filter((o) => o.kind === '+').length;
  const removed = ops.filter((o) => o.kind === '-').length;
  const status =
    before === undefined
      ? 'added'
      : after === undefined
        ? 'removed'
        : before === after
          ? 'unchanged'
          : 'changed';
  return { file, status, added, removed, lines: status === 'unchanged' ? [] : hunks(ops) };
}

/** Diff of every file of two versions, in file-name order. */
export function diffFiles(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): FileDiff[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.map((name) => diffFile(name, before[name], after[name]));
}
