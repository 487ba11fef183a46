import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/** A Debian package some tests drive for real, and the commands it provides. */
export interface SystemPackage {
  /** The Debian package name. */
  readonly name: 'prometheus' | 'chromium';
  readonly commands: readonly string[];
  /** What the tests use it for, for the skip notice. */
  readonly usedFor: string;
}

export const SYSTEM_PACKAGES: readonly SystemPackage[] = [
  {
    name: 'prometheus',
    commands: ['prometheus', 'promtool'],
    usedFor: 'metrics scraped by a real Prometheus',
  },
  { name: 'chromium', commands: ['chromium'], usedFor: 'the dashboard page in a headless browser' },
];

/** Prefix of the note of a test skipped for a missing package; the skip reporter counts these. */
export const MISSING_PACKAGE_NOTE = 'needs the Debian package';

/** The command's path on PATH, or undefined. */
export function commandPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Packages to treat as missing and impossible to install (`TOOLSCOPE_TEST_PRETEND_MISSING=chromium,…`):
 * how the test setup's own test sees the skip path on a machine that has everything.
 */
function pretendMissing(pkg: SystemPackage): boolean {
  return (process.env.TOOLSCOPE_TEST_PRETEND_MISSING ?? '').split(',').includes(pkg.name);
}

export function isInstalled(pkg: SystemPackage): boolean {
  return !pretendMissing(pkg) && pkg.commands.every((command) => commandPath(command) !== undefined);
}

/** Root, or passwordless sudo: apt-get can run without asking anyone. */
async function asRoot(): Promise<string[] | undefined> {
  if (process.getuid?.() === 0) return [];
  if (!commandPath('sudo')) return undefined;
  try {
    await promisify(execFile)('sudo', ['-n', 'true'], { timeout: 5000 });
    return ['sudo', '-n'];
  } catch {
    return undefined;
  }
}

/**
 * Installs the missing packages with apt-get when this machine lets the tests (root, or
 * passwordless sudo, and apt-get); returns the packages still missing.
 */
export async function installSystemPackages(say: (line: string) => void): Promise<SystemPackage[]> {
  const missing = SYSTEM_PACKAGES.filter((pkg) => !isInstalled(pkg));
  const installable = missing.filter((pkg) => !pretendMissing(pkg));
  if (installable.length === 0) return missing;
  const prefix = await asRoot();
  if (prefix === undefined || !commandPath('apt-get')) return missing;
  const names = installable.map((pkg) => pkg.name);
  say(`installing the Debian packages ${names.join(', ')} (apt-get)…`);
  const run = (args: string[]) => {
    const [command, ...rest] = [...prefix, ...args];
    return promisify(execFile)(command as string, rest, {
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    await run(['apt-get', 'update', '-qq']);
    await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...names]);
  } catch (error) {
    say(`apt-get failed: ${(error as { stderr?: string }).stderr || (error as Error).message}`);
  }
  // The Debian package starts a system Prometheus on :9090; the tests start their own on free ports.
  if (names.includes('prometheus')) {
    await run(['systemctl', 'stop', 'prometheus']).catch(() =>
      run(['pkill', '-x', 'prometheus']).catch(() => {}),
    );
  }
  return SYSTEM_PACKAGES.filter((pkg) => !isInstalled(pkg));
}

/** The note a test is skipped with when `pkg` is missing. */
export function missingNote(pkg: SystemPackage): string {
  return `${MISSING_PACKAGE_NOTE} ${pkg.name} (${pkg.usedFor}): not installed`;
}
