import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirectory } from '../config/index.js';

/** What a running toolscope writes so that `toolscope status/top/export/profile` can find it. No secrets. */
export interface InstanceRecord {
  pid: number;
  /** Base URL of its status API (`/status`, `/`), e.g. `http://127.0.0.1:8765`. */
  url: string;
  /** `gateway`, `proxy` or `demo`. */
  mode: string;
  /** How agents reach it: over Streamable HTTP (the status API shares that listener) or stdio. */
  transport: 'http' | 'stdio';
  version: string;
  /** Epoch ms. */
  startedAt: number;
  /** Whether requests need a bearer token (which is never written here: pass `--token` or TOOLSCOPE_TOKEN). */
  tokenRequired: boolean;
  /** Config file, when there is one. */
  config?: string;
  cwd: string;
}

/**
 * Where instance records live: `instances/` in toolscope's data directory
 * (`$TOOLSCOPE_HOME`, else `$XDG_DATA_HOME/toolscope`, else `~/.local/share/toolscope`),
 * private to the user (0700).
 */
export function instancesDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDirectory(env), 'instances');
}

/**
 * Writes this process's record (atomically, 0600) and removes it when the
 * process exits or `remove()` is called. Never throws: a read-only home costs
 * discovery, not the gateway.
 */
export function registerInstance(
  record: InstanceRecord,
  directory: string = instancesDirectory(),
): { file: string; remove(): void } {
  const file = join(directory, `${record.pid}.json`);
  const remove = () => {
    process.off('exit', remove);
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.hrtime.bigint()}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, file);
    process.once('exit', remove);
  } catch {
    // Discovery is a convenience; `--url` still works.
  }
  return { file, remove };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records of instances whose process still runs, newest first; records of dead ones are deleted. */
export function findInstances(directory: string = instancesDirectory()): InstanceRecord[] {
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const found: InstanceRecord[] = [];
  for (const name of names) {
    const file = join(directory, name);
    let record: InstanceRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as InstanceRecord;
    } catch {
      continue;
    }
    if (typeof record.pid !== 'number' || typeof record.url !== 'string') continue;
    if (alive(record.pid)) found.push(record);
    else {
      try {
        unlinkSync(file);
      } catch {
        // Someone else cleaned it up.
      }
    }
  }
  return found.sort((a, b) => b.startedAt - a.startedAt);
}
