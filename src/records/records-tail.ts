import { open } from 'node:fs/promises';
import { CallRecord } from './schema.ts';

/** The call records in the last `tailBytes` of a JSONL records file (none when it does not exist). */
export async function tailRecords(path: string, tailBytes: number): Promise<CallRecord[]> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const start = Math.max(0, size - tailBytes);
      const buffer = Buffer.alloc(size - start);
      await file.read(buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
      // A read that starts inside a line drops that line's end.
      if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    } finally {
      await file.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: CallRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"call-record"')) continue;
    try {
      const r = CallRecord.safeParse(JSON.parse(line));
      if (r.success) out.push(r.data);
    } catch {
      // A torn or foreign line: not a record.
    }
  }
  return out;
}
