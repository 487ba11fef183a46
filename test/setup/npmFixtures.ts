import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

/** Written into a fixture's node_modules after a complete install: the hash of the lockfile it installed. */
const MARKER = '.toolscope-fixture-installed';

/** Folders under `root` (not inside node_modules) that hold a package-lock.json: the npm fixtures. */
export function npmFixtures(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules') continue;
      const folder = join(dir, entry.name);
      if (existsSync(join(folder, 'package-lock.json'))) found.push(folder);
      else walk(folder);
    }
  };
  walk(root);
  return found.sort();
}

function lockHash(folder: string): string {
  return createHash('sha256')
    .update(readFileSync(join(folder, 'package-lock.json')))
    .digest('hex');
}

/** Whether the fixture's node_modules were installed from its current lockfile. */
export function fixtureInstalled(folder: string): boolean {
  try {
    return readFileSync(join(folder, 'node_modules', MARKER), 'utf8') === lockHash(folder);
  } catch {
    return false;
  }
}

/**
 * `npm ci` in every fixture whose node_modules are missing or come from another lockfile (a clean
 * clone, a changed pin), one after another, saying what it does: a fresh clone runs `npm test` with
 * nothing but the root `npm ci` done.
 */
export async function installNpmFixtures(
  root: string,
  say: (line: string) => void,
  projectRoot: string,
): Promise<void> {
  for (const folder of npmFixtures(root)) {
    if (fixtureInstalled(folder)) continue;
    const name = relative(projectRoot, folder);
    say(`installing the test fixture ${name} (npm ci)…`);
    const started = Date.now();
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    try {
      await promisify(execFile)(npm, ['ci', '--no-audit', '--no-fund', '--prefix', folder], {
        cwd: folder,
        timeout: 600_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      throw new Error(`npm ci in ${name} failed: ${failure.stderr || failure.message}`);
    }
    writeFileSync(join(folder, 'node_modules', MARKER), lockHash(folder));
    say(`installed ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}
