/**
 * Scans log files for what must never be logged: a caller's full number, an API token, a
 * bearer credential, a records key or a webhook secret. CI runs the whole test suite with
 * HOTLINE_LOG_TAP set (every logger also writes every line at debug level to that directory)
 * and then runs this over the directory; any finding fails the run.
 *
 *   node --import tsx scripts/scan-logs.ts DIR [DIR|FILE ...]
 *
 * Prints each finding as `file:line: kind: <masked excerpt>` (never the secret itself), then one
 * JSON line with the totals. Exit code 1 when anything was found, 2 when there was nothing to scan.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findSecrets } from '../src/log-scan.ts';

const targets = process.argv.slice(2);
if (targets.length === 0) {
  console.error('usage: scan-logs DIR|FILE ...');
  process.exit(2);
}

const files: string[] = [];
for (const t of targets) {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(t);
  } catch {
    console.error(`scan-logs: ${t}: no such file or directory`);
    process.exit(2);
  }
  if (st.isDirectory()) for (const f of readdirSync(t).sort()) files.push(join(t, f));
  else files.push(t);
}

let lines = 0;
let findings = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    if (!line) return;
    lines++;
    for (const f of findSecrets(line)) {
      findings++;
      if (findings <= 50) console.log(`${file}:${i + 1}: ${f.kind}: ${f.masked}`);
    }
  });
}
if (findings > 50) console.log(`… and ${findings - 50} more`);
console.log(JSON.stringify({ scenario: 'log-scan', files: files.length, lines, findings }));
if (lines === 0) {
  console.error('scan-logs: no log lines to scan');
  process.exit(2);
}
process.exitCode = findings > 0 ? 1 : 0;
