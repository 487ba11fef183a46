import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SDK_DIRS = ['sdk', 'client', 'server'];

/**
 * Every installed copy of the MCP SDK packages an app rooted at `fromDir` can
 * reach: `@modelcontextprotocol/{sdk,client,server}` in each `node_modules` on
 * the way up (what Node's resolution sees), one level of nesting below the
 * packages there (`node_modules/lib/node_modules/@modelcontextprotocol/sdk`,
 * a library pinning its own SDK), and pnpm's `.pnpm` store. Returned as real
 * paths. Deeper nesting is not searched: this is a cheap startup probe (a few
 * `readdir`s), used to decide whether the ESM load hook is worth its cost.
 */
export function findSdkCopies(fromDir: string): Set<string> {
  const copies = new Set<string>();
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const modules = join(dir, 'node_modules');
    if (existsSync(modules)) scanNodeModules(modules, copies);
    if (dirname(dir) === dir) break;
  }
  return copies;
}

function scanNodeModules(modules: string, copies: Set<string>): void {
  addCopies(modules, copies);
  for (const entry of list(modules)) {
    if (entry === '.bin') continue;
    if (entry === '.pnpm') {
      for (const stored of list(join(modules, entry)))
        addCopies(join(modules, entry, stored, 'node_modules'), copies);
      continue;
    }
    if (entry.startsWith('@')) {
      for (const scoped of list(join(modules, entry)))
        addCopies(join(modules, entry, scoped, 'node_modules'), copies);
    } else {
      addCopies(join(modules, entry, 'node_modules'), copies);
    }
  }
}

function addCopies(modules: string, copies: Set<string>): void {
  const scope = join(modules, '@modelcontextprotocol');
  if (!existsSync(scope)) return;
  for (const name of SDK_DIRS) {
    const dir = join(scope, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    try {
      copies.add(realpathSync(dir));
    } catch {
      // Dangling link: nothing there to instrument.
    }
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
