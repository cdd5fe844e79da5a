import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { HotlineError } from '../errors.ts';
import { type AdminAgent, AdminAgentSchema } from './roster-edits.ts';

/**
 * Where the agents an administrator added or changed are kept: a JSON file under the state
 * directory (one process), or Redis (every engine process of the center). Each kept agent is
 * whole; `version` grows with every change, so another process sees that it must read again.
 */
export interface RosterEditStore {
  /** Every agent kept, and the version of the edits (0: none yet). */
  load(): Promise<{ version: number; agents: AdminAgent[] }>;
  /** Keeps an agent (replacing the one kept under its id); returns the new version. */
  save(agent: AdminAgent): Promise<number>;
  /** The version of the edits now (cheap: a look to see whether another process changed them). */
  version(): Promise<number>;
}

/** The kept edits cannot be read (a corrupt file, a foreign value in Redis). */
export class RosterStoreError extends HotlineError {
  constructor(message: string) {
    super('roster-store-unreadable', message);
  }
}

const RosterEditsFile = z
  .object({ version: z.number().int().min(0), agents: z.array(AdminAgentSchema) })
  .strict();

/**
 * The file store: `{ version, agents }` as JSON, rewritten whole on every change through a
 * temporary file, fsync and rename (then an fsync of the folder), so a crash leaves the old file
 * or the new one, never half of one.
 */
export class FileRosterStore implements RosterEditStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  async load(): Promise<{ version: number; agents: AdminAgent[] }> {
    await this.chain.catch(() => undefined);
    return this.read();
  }

  async version(): Promise<number> {
    return (await this.load()).version;
  }

  save(agent: AdminAgent): Promise<number> {
    const write = this.chain
      .catch(() => undefined)
      .then(async () => {
        const kept = await this.read();
        const agents = kept.agents.filter((a) => a.id !== agent.id);
        agents.push(agent);
        const version = kept.version + 1;
        await this.writeAtomically(`${JSON.stringify({ version, agents }, null, 2)}\n`);
        return version;
      });
    this.chain = write;
    return write;
  }

  private async read(): Promise<{ version: number; agents: AdminAgent[] }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 0, agents: [] };
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new RosterStoreError(`${this.path}: not JSON (${(err as Error).message})`);
    }
    const parsed = RosterEditsFile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RosterStoreError(`${this.path}: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    return parsed.data;
  }

  private async writeAtomically(text: string): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
    const file = await open(tmp, 'w', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    const folder = await open(dir, 'r');
    try {
      await folder.sync();
    } catch {
      // Some file systems refuse to sync a directory; the rename is done either way.
    } finally {
      await folder.close();
    }
  }
}

/** In memory (tests, and a service run without a state directory). */
export class MemoryRosterStore implements RosterEditStore {
  private readonly agents = new Map<string, AdminAgent>();
  private current = 0;

  async load(): Promise<{ version: number; agents: AdminAgent[] }> {
    return { version: this.current, agents: [...this.agents.values()] };
  }
  async save(agent: AdminAgent): Promise<number> {
    this.agents.set(agent.id, agent);
    return ++this.current;
  }
  async version(): Promise<number> {
    return this.current;
  }
}
