import { mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Extensions of the files a {@link ProfileDirectory} manages; it never touches anything else. */
export const PROFILE_EXTENSIONS = ['.cpuprofile', '.heapprofile'] as const;

/** A profile file as {@link planEviction} sees it. */
export interface ProfileFile {
  readonly name: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

/** Bounds of the profile directory. */
export interface DirectoryLimits {
  readonly maxFiles: number;
  readonly maxBytes: number;
}

/**
 * Which files to delete, oldest first, so that at most `maxFiles` files and
 * `maxBytes` bytes remain. Pure. The newest file (the one just written) is always
 * kept, even when it alone exceeds `maxBytes`.
 */
export function planEviction(files: readonly ProfileFile[], limits: DirectoryLimits): string[] {
  const sorted = [...files].sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
  let count = sorted.length;
  let bytes = sorted.reduce((sum, f) => sum + f.bytes, 0);
  const evict: string[] = [];
  for (const file of sorted.slice(0, -1)) {
    if (count <= limits.maxFiles && bytes <= limits.maxBytes) break;
    evict.push(file.name);
    count--;
    bytes -= file.bytes;
  }
  return evict;
}

/** A file name safe on every OS from a tool key, time and kind. */
export function profileFileName(toolKey: string, startedAt: number, suffix: string): string {
  const safe = toolKey.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const stamp = new Date(startedAt).toISOString().replace(/[:.]/g, '-');
  return `${stamp}-${safe}${suffix}`;
}

/** The bounded directory profiles are saved in: write, then evict the oldest beyond the limits. */
export class ProfileDirectory {
  constructor(
    readonly path: string,
    private readonly limits: DirectoryLimits,
  ) {}

  /** Writes `data` as `name` and enforces the limits; returns the full path and size. */
  async write(name: string, data: string): Promise<{ path: string; bytes: number }> {
    await mkdir(this.path, { recursive: true });
    const path = join(this.path, name);
    await writeFile(path, data);
    await this.enforce();
    return { path, bytes: Buffer.byteLength(data) };
  }

  /** Deletes the oldest managed files beyond the limits. */
  async enforce(): Promise<void> {
    const files: ProfileFile[] = [];
    for (const name of await readdir(this.path)) {
      if (!PROFILE_EXTENSIONS.some((ext) => name.endsWith(ext))) continue;
      try {
        const s = await stat(join(this.path, name));
        if (s.isFile()) files.push({ name, bytes: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // Deleted meanwhile.
      }
    }
    for (const name of planEviction(files, this.limits)) await unlink(join(this.path, name)).catch(() => {});
  }
}
