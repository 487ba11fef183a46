import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Where the `Protocol` class of each MCP SDK line lives. Patching
 * `Protocol.prototype.connect` once per module instance covers `Client`,
 * `Server` and `McpServer` (which delegates to its `Server`) of that instance.
 *
 * - SDK 1.x: `dist/{esm,cjs}/shared/protocol.js`. The package's `.` export points
 *   at a missing file (1.18+; before that `.` is not exported), so nothing may
 *   resolve the bare package name: hooks name the file itself.
 * - 2.x `@modelcontextprotocol/client` and `/server`: each bundles its own
 *   Protocol into hashed chunks and re-exports it from its entry
 *   (`dist/index.{mjs,cjs}`), so the entry is the stable hook point.
 */
export interface SdkPackage {
  readonly name:
    | '@modelcontextprotocol/sdk'
    | '@modelcontextprotocol/client'
    | '@modelcontextprotocol/server';
  /** The specifier whose module exports `Protocol` (resolvable with both conditions). */
  readonly specifier: string;
  /** Subpath of `specifier` inside the package's `exports`. */
  readonly subpath: string;
  /** The name `require-in-the-middle` reports for the CommonJS file (internals drop `.js` and `/index`). */
  readonly requireHookName: string;
}

export const SDK_PACKAGES: readonly SdkPackage[] = [
  {
    name: '@modelcontextprotocol/sdk',
    specifier: '@modelcontextprotocol/sdk/shared/protocol.js',
    subpath: './shared/protocol.js',
    requireHookName: '@modelcontextprotocol/sdk/dist/cjs/shared/protocol',
  },
  {
    name: '@modelcontextprotocol/client',
    specifier: '@modelcontextprotocol/client',
    subpath: '.',
    requireHookName: '@modelcontextprotocol/client',
  },
  {
    name: '@modelcontextprotocol/server',
    specifier: '@modelcontextprotocol/server',
    subpath: '.',
    requireHookName: '@modelcontextprotocol/server',
  },
];

/** Files (by URL or path) whose module exports `Protocol`: what the ESM load hook and the `require.cache` scan look for. */
export const PROTOCOL_MODULE_PATTERN =
  /[/\\]@modelcontextprotocol[/\\](?:sdk[/\\]dist[/\\](?:esm|cjs)[/\\]shared[/\\]protocol\.js|(?:client|server)[/\\]dist[/\\]index\.(?:mjs|cjs))$/;

/** The `Protocol` class a module exports, if it looks like the SDK's. */
export function protocolOf(exports: unknown): (abstract new (...args: never[]) => object) | undefined {
  const candidate = (exports as { Protocol?: unknown } | null | undefined)?.Protocol;
  if (typeof candidate !== 'function') return undefined;
  const prototype = (candidate as { prototype?: { connect?: unknown } }).prototype;
  return typeof prototype?.connect === 'function'
    ? (candidate as abstract new (
        ...args: never[]
      ) => object)
    : undefined;
}

/** One SDK package as the app resolves it. */
export interface ResolvedSdkModule {
  readonly sdk: SdkPackage;
  /** Package directory. */
  readonly root: string;
  /** The CommonJS file (`require` condition). */
  readonly cjs: string;
  /** The ES module file (`import` condition), when the package has one. */
  readonly esm: string | undefined;
}

/**
 * Resolve each SDK package from `fromDir` the way the app's own `require`/`import`
 * would, so eager loading gets the very module instances the app will get.
 * Packages that are not installed are skipped.
 */
export function resolveSdkModules(fromDir: string): ResolvedSdkModule[] {
  const require = createRequire(join(fromDir, 'noop.js'));
  const found: ResolvedSdkModule[] = [];
  for (const sdk of SDK_PACKAGES) {
    let cjs: string;
    try {
      cjs = require.resolve(sdk.specifier);
    } catch {
      continue;
    }
    const root = packageRoot(cjs, sdk.name);
    if (root === undefined) continue;
    found.push({ sdk, root, cjs, esm: importTarget(root, sdk.subpath) });
  }
  return found;
}

function packageRoot(file: string, name: string): string | undefined {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === name) return dir;
    } catch {
      // Not a readable manifest (e.g. `dist/esm/package.json` stubs have no name); keep walking.
    }
  }
  return undefined;
}

/** The `import`-condition target of `subpath` in the package's `exports` (exact key or one `*` pattern). */
function importTarget(root: string, subpath: string): string | undefined {
  let exportsField: unknown;
  try {
    exportsField = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: unknown })
      .exports;
  } catch {
    return undefined;
  }
  if (typeof exportsField !== 'object' || exportsField === null) return undefined;
  const map = exportsField as Record<string, unknown>;
  let target: string | undefined;
  if (subpath in map) target = pickImport(map[subpath]);
  else {
    for (const [key, value] of Object.entries(map)) {
      const star = key.indexOf('*');
      if (star < 0) continue;
      const prefix = key.slice(0, star);
      const suffix = key.slice(star + 1);
      if (!subpath.startsWith(prefix) || !subpath.endsWith(suffix) || subpath.length < key.length - 1)
        continue;
      const matched = subpath.slice(prefix.length, subpath.length - suffix.length);
      target = pickImport(value)?.replace('*', matched);
      break;
    }
  }
  if (target === undefined) return undefined;
  const file = join(root, target);
  return existsSync(file) ? file : undefined;
}

function pickImport(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null) return undefined;
  const conditions = entry as Record<string, unknown>;
  for (const condition of ['import', 'node', 'default']) {
    if (condition in conditions) {
      const picked = pickImport(conditions[condition]);
      if (picked !== undefined) return picked;
    }
  }
  return undefined;
}
