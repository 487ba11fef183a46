import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where learned state survives restarts. */
export interface StateStore {
  /** The saved value, or `undefined` when nothing (readable) was saved. */
  load(): Promise<unknown>;
  save(value: unknown): Promise<void>;
}

/**
 * One JSON file in the state directory. Writes are atomic: the JSON goes to a
 * temporary file in the same directory, is flushed to disk, then renamed over
 * the target, so a crash mid-write leaves the previous snapshot intact.
 */
export class FileStateStore implements StateStore {
  constructor(readonly path: string) {}

  /** The store for `name` (default `analyzer.json`) in `stateDir`. */
  static inDirectory(stateDir: string, name = 'analyzer.json'): FileStateStore {
    return new FileStateStore(join(stateDir, name));
  }

  async load(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // A torn or hand-edited file: start fresh rather than refuse to start.
      return undefined;
    }
  }

  async save(value: unknown): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(value));
      await file.sync();
    } catch (err) {
      await file.close();
      await rm(temp, { force: true });
      throw err;
    }
    await file.close();
    try {
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
