import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire, register as registerLoader } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import { Hook as RequireHook } from 'require-in-the-middle';
import { findSdkCopies } from './findSdkCopies.js';
import type { McpInstrumentation } from './McpInstrumentation.js';
import { reportOnce } from './reportOnce.js';
import { PROTOCOL_MODULE_PATTERN, protocolOf, resolveSdkModules, SDK_PACKAGES } from './sdkModules.js';

/** `TOOLSCOPE_ESM_HOOK`: when to register the ES module load hook. */
export type EsmHookMode = 'auto' | 'on' | 'off';

export interface AutoInstrumentOptions {
  /** The app's entry script (`process.argv[1]`); its directory is where the SDK is resolved from. */
  entry: string | undefined;
  /** @default "auto": only when SDK copies exist that eager loading cannot reach */
  esmHook?: EsmHookMode | undefined;
  /** How to load the SDK's ES modules eagerly: `import()` (ESM register) or `require(esm)` (CJS register, synchronous). */
  loadEsm: 'import' | 'require';
}

/** What the automatic instrumentation covered, for diagnostics and tests. */
export interface AutoInstrumentReport {
  /** Files or module names whose `Protocol` was patched at startup. */
  readonly patched: string[];
  /** Whether the ES module load hook was registered. */
  readonly esmHook: boolean;
  /** Startup time spent, ms. */
  readonly elapsedMs: number;
}

/** Global the ESM load hook's appended statement calls (see `esmLoaderHook.ts`). */
const PROTOCOL_MODULE_CALLBACK = Symbol.for('toolscope.instrument.protocolModule');
const requireHere = createRequire(import.meta.url);

/**
 * Instrument every MCP SDK the app loads, with no code change in the app:
 *
 * - **CommonJS** (every copy, nested ones too, loaded now or later):
 *   `require-in-the-middle` on the files that export `Protocol`, plus a scan of
 *   `require.cache` for copies loaded before this ran.
 * - **ES modules**: the copies the app resolves from its own directory are
 *   loaded eagerly and patched before the app's first line runs (the app then
 *   imports the very same module instances). That costs nothing for the SDK
 *   the app uses anyway, unlike a loader hook, which on Node 20 adds about 1 ms
 *   to every ES module the app loads. Copies eager loading cannot reach (a
 *   library's nested SDK) need the load hook: registered when such copies are
 *   found (`auto`), always (`on`), or never (`off`).
 *
 * Never throws: a failure is reported once through `diag` and the app runs uninstrumented.
 */
export function installAutoInstrumentation(
  instrumentation: McpInstrumentation,
  options: AutoInstrumentOptions,
): AutoInstrumentReport | Promise<AutoInstrumentReport> {
  const started = performance.now();
  const patched: string[] = [];
  const patch = (exports: unknown, where: string): void => {
    try {
      const protocol = protocolOf(exports);
      if (protocol && instrumentation.patchProtocolClass(protocol) && !patched.includes(where))
        patched.push(where);
    } catch (error) {
      reportOnce(`patching ${where}`, error);
    }
  };
  instrumentation.automatic = true;
  const finish = (esmHook: boolean): AutoInstrumentReport => {
    const report = { patched, esmHook, elapsedMs: performance.now() - started };
    diag.debug(`toolscope: MCP SDK instrumentation ready in ${report.elapsedMs.toFixed(1)} ms`, report);
    return report;
  };
  try {
    (globalThis as Record<symbol, unknown>)[PROTOCOL_MODULE_CALLBACK] = patch;
    new RequireHook(
      SDK_PACKAGES.map((sdk) => sdk.requireHookName),
      { internals: true },
      (exports, name) => {
        patch(exports, name);
        return exports;
      },
    );
    for (const [file, loaded] of Object.entries(requireHere.cache)) {
      if (PROTOCOL_MODULE_PATTERN.test(file)) patch(loaded?.exports, file);
    }
  } catch (error) {
    reportOnce('installing the require hook', error);
  }

  let appDir = process.cwd();
  let esmApp = true;
  try {
    if (options.entry) {
      const entry = realpathSync(options.entry);
      appDir = dirname(entry);
      esmApp = isEsmEntry(entry);
    }
  } catch {
    // No such entry file (`-e`, REPL): resolve from the working directory.
  }
  const mode = options.esmHook ?? 'auto';
  let modules: ReturnType<typeof resolveSdkModules> = [];
  try {
    modules = resolveSdkModules(appDir);
    if (mode === 'on' || (mode === 'auto' && esmApp && hasUnreachableCopies(appDir, modules))) {
      registerLoader(new URL('./esmLoaderHook.js', import.meta.url));
      return finish(true);
    }
  } catch (error) {
    reportOnce('registering the ES module load hook', error);
  }
  if (!esmApp) return finish(false);
  const targets = modules.flatMap((module) => (module.esm ? [module.esm] : []));
  if (options.loadEsm === 'require') {
    for (const file of targets) {
      try {
        patch(requireHere(file), file);
      } catch (error) {
        reportOnce(`loading ${file}`, error);
      }
    }
    return finish(false);
  }
  return Promise.all(
    targets.map((file) =>
      import(pathToFileURL(file).href).then(
        (exports: unknown) => patch(exports, file),
        (error: unknown) => reportOnce(`loading ${file}`, error),
      ),
    ),
  ).then(() => finish(false));
}

/** Any SDK copy the app can reach that is not the one its own directory resolves to? */
function hasUnreachableCopies(appDir: string, resolved: ReturnType<typeof resolveSdkModules>): boolean {
  const reachable = new Set(resolved.map((module) => safeRealpath(module.root)));
  for (const copy of findSdkCopies(appDir)) if (!reachable.has(copy)) return true;
  return false;
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Does Node run `file` as an ES module (extension, else the nearest package.json `type`)? */
function isEsmEntry(file: string): boolean {
  const extension = extname(file);
  if (extension === '.mjs' || extension === '.mts') return true;
  if (extension === '.cjs' || extension === '.cts') return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type === 'module';
    } catch {
      return false;
    }
  }
  return false;
}
