import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { telemetrySchema } from '../config/toolscopeSchema.js';
import { diagLevelFrom, StderrDiagLogger, Telemetry } from '../telemetry/index.js';
import { VERSION } from '../version.js';
import { type AutoInstrumentReport, type EsmHookMode, installAutoInstrumentation } from './autoInstrument.js';
import { flushOnExit } from './flushOnExit.js';
import { mcpInstrumentation } from './instrumentClient.js';
import { reportOnce } from './reportOnce.js';

/** What the register hook set up (kept on `globalThis` for diagnostics and tests). */
export interface Registration {
  /** toolscope's own OpenTelemetry setup; undefined with `TOOLSCOPE_SDK=off`. */
  readonly telemetry: Telemetry | undefined;
  readonly auto: AutoInstrumentReport | undefined;
}

const REGISTERED = Symbol.for('toolscope.register');

/**
 * The `toolscope/register` hook: `node --import toolscope/register app.mjs`
 * (ESM, `mode: 'esm'`) or `node --require toolscope/register app.cjs` (CJS,
 * `mode: 'cjs'`, synchronous). Starts toolscope's telemetry from the standard
 * `OTEL_*` variables, then instruments every MCP SDK `Client`/`Server`/`McpServer`
 * the app creates. Runs once per process however often it is loaded, never
 * writes to stdout (stdio MCP servers speak there), and never throws into the app.
 *
 * Environment, besides `OTEL_*`:
 * - `TOOLSCOPE_SDK=off`: do not start toolscope's OpenTelemetry SDK; record
 *   through the providers the app registers itself.
 * - `TOOLSCOPE_ESM_HOOK=auto|on|off` (default `auto`): the ES module load hook
 *   for SDK copies eager loading cannot reach (see `autoInstrument.ts`).
 * - `TOOLSCOPE_SHUTDOWN_TIMEOUT_MS` (default 2000): bound on the exit flush.
 * - `TOOLSCOPE_LOG_LEVEL` / `OTEL_LOG_LEVEL` (default `warn`): diagnostics, on stderr.
 */
export function registerFromEnv(
  mode: 'esm' | 'cjs',
  env: Record<string, string | undefined> = process.env,
): Registration | Promise<Registration> {
  const existing = (globalThis as Record<symbol, Registration | Promise<Registration> | undefined>)[
    REGISTERED
  ];
  if (existing !== undefined) return existing;
  let telemetry: Telemetry | undefined;
  const entry = process.argv[1];
  try {
    if (!isOff(env.TOOLSCOPE_SDK)) {
      diag.setLogger(new StderrDiagLogger(), {
        logLevel: diagLevelFrom(env.TOOLSCOPE_LOG_LEVEL ?? env.OTEL_LOG_LEVEL),
        suppressOverrideMessage: true,
      });
      const prometheus = (env.OTEL_METRICS_EXPORTER ?? '')
        .split(',')
        .some((item) => item.trim() === 'prometheus');
      // Host-wide metrics are the gateway's (or a collector's) job: every instrumented process on a
      // host exporting the same system.* series would only multiply them. Runtime metrics stay.
      const config = telemetrySchema.parse({
        serviceName: appName(entry),
        prometheus: { enabled: prometheus },
        hostMetrics: false,
      });
      telemetry = Telemetry.start({
        config,
        version: VERSION,
        stdoutIsProtocol: true,
        servePrometheus: prometheus,
        env,
      });
      mcpInstrumentation().configure({
        tracer: telemetry.tracer,
        meter: telemetry.meter,
        histograms: telemetry.histograms,
        capture: telemetry.capture,
      });
      flushOnExit(telemetry, positive(env.TOOLSCOPE_SHUTDOWN_TIMEOUT_MS, 2000));
    }
  } catch (error) {
    reportOnce('starting telemetry', error);
  }
  const done = (auto: AutoInstrumentReport | undefined): Registration => ({ telemetry, auto });
  let result: Registration | Promise<Registration>;
  try {
    const auto = installAutoInstrumentation(mcpInstrumentation(), {
      entry,
      esmHook: esmHookMode(env.TOOLSCOPE_ESM_HOOK),
      loadEsm: mode === 'esm' ? 'import' : 'require',
    });
    result = auto instanceof Promise ? auto.then(done, () => done(undefined)) : done(auto);
  } catch (error) {
    reportOnce('installing the MCP SDK instrumentation', error);
    result = done(undefined);
  }
  (globalThis as Record<symbol, unknown>)[REGISTERED] = result;
  return result;
}

/** The registration of this process, if the register hook ran. */
export function currentRegistration(): Registration | Promise<Registration> | undefined {
  return (globalThis as Record<symbol, Registration | Promise<Registration> | undefined>)[REGISTERED];
}

function isOff(value: string | undefined): boolean {
  return value !== undefined && ['off', 'false', '0', 'disabled'].includes(value.trim().toLowerCase());
}

function esmHookMode(value: string | undefined): EsmHookMode {
  const normalised = value?.trim().toLowerCase();
  if (normalised === 'on' || normalised === 'true' || normalised === '1') return 'on';
  if (normalised !== undefined && isOff(normalised)) return 'off';
  return 'auto';
}

function positive(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

/** `service.name` default for the app: its package name, else its script name (OTEL_SERVICE_NAME still wins). */
function appName(entry: string | undefined): string {
  if (!entry) return 'unknown_service:node';
  try {
    const file = realpathSync(entry);
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (typeof name === 'string' && name.length > 0) return name;
    }
  } catch {
    // Fall through to the script name.
  }
  return basename(entry, extname(entry)) || 'unknown_service:node';
}
