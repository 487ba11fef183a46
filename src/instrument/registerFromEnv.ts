import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { telemetrySchema } from '../config/toolscopeSchema.js';
import { createLogging, type Logging, loggingConfigSchema, PinoDiagLogger } from '../logging/index.js';
import type { InProcessRuntime } from '../runtime/index.js';
import { diagLevelFrom, Telemetry } from '../telemetry/index.js';
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
  /**
   * The pipeline of the app's tool handlers (profiling, analysis, alerts, status page), started
   * when the first server is instrumented; undefined before, or with `TOOLSCOPE_PIPELINE=off`.
   */
  readonly runtime: () => InProcessRuntime | undefined;
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
 * - `TOOLSCOPE_PIPELINE=off`: spans and metrics only; by default the tool handlers of the app's
 *   servers also run through profiling, the analyzer and alerts, with the status API, the dashboard
 *   and `/metrics` on a loopback port (`TOOLSCOPE_STATUS_PORT`, `off` for none).
 * - `TOOLSCOPE_SHUTDOWN_TIMEOUT_MS` (default 2000): bound on the exit flush.
 * - `TOOLSCOPE_LOG_LEVEL` / `OTEL_LOG_LEVEL` (default `warn`): toolscope's log lines, on stderr,
 *   in `TOOLSCOPE_LOG_FORMAT` (text at a terminal, else JSON).
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
  let logging: Logging | undefined;
  let runtime: InProcessRuntime | undefined;
  const entry = process.argv[1];
  const pipeline = !isOff(env.TOOLSCOPE_PIPELINE);
  try {
    // An app is quiet by default: warnings and alerts (TOOLSCOPE_LOG_LEVEL=info adds the dashboard's URL).
    logging = createLogging({
      config: loggingConfigSchema.parse({ level: 'warn' }),
      env: { ...env, TOOLSCOPE_LOG_LEVEL: env.TOOLSCOPE_LOG_LEVEL ?? env.OTEL_LOG_LEVEL },
      version: VERSION,
    });
    if (!isOff(env.TOOLSCOPE_SDK)) {
      const diagLogger = new PinoDiagLogger(logging.logger);
      diag.setLogger(diagLogger, {
        logLevel: diagLevelFrom(env.TOOLSCOPE_LOG_LEVEL ?? env.OTEL_LOG_LEVEL),
        suppressOverrideMessage: true,
      });
      const prometheus = (env.OTEL_METRICS_EXPORTER ?? '')
        .split(',')
        .some((item) => item.trim() === 'prometheus');
      // Host-wide metrics are the gateway's (or a collector's) job: every instrumented process on a
      // host exporting the same system.* series would only multiply them. Runtime metrics stay.
      // With the pipeline, /metrics is served on the status listener; a port of its own (9464) only
      // when OTEL_METRICS_EXPORTER=prometheus asks for one.
      const config = telemetrySchema.parse({
        serviceName: appName(entry),
        prometheus: { enabled: prometheus || pipeline },
        hostMetrics: false,
      });
      telemetry = Telemetry.start({
        config,
        version: VERSION,
        // An agent that is only a client has stdout free (console spans go there); once a server of
        // this app speaks MCP over stdio, nothing but MCP may be written there.
        stdoutIsProtocol: () => mcpInstrumentation().stdoutCarriesMcp,
        servePrometheus: prometheus,
        env,
        diagLogger,
      });
      mcpInstrumentation().configure({
        tracer: telemetry.tracer,
        meter: telemetry.meter,
        histograms: telemetry.histograms,
        capture: telemetry.capture,
      });
    }
    if (pipeline) {
      const started = { logging, telemetry };
      mcpInstrumentation().onFirstServer = () => {
        startInProcessRuntime(started.logging, started.telemetry, entry, env).then(
          (created) => {
            runtime = created;
          },
          (error: unknown) => reportOnce('starting the in-process runtime', error),
        );
      };
    }
    const owned = telemetry;
    if (owned || pipeline)
      flushOnExit(
        {
          // Telemetry is flushed while learned state is saved: both within the bound.
          shutdown: async () => {
            await Promise.all([runtime?.stop(), owned?.shutdown()]);
          },
        },
        positive(env.TOOLSCOPE_SHUTDOWN_TIMEOUT_MS, 2000),
      );
  } catch (error) {
    reportOnce('starting telemetry', error);
  }
  const done = (auto: AutoInstrumentReport | undefined): Registration => ({
    telemetry,
    auto,
    runtime: () => runtime,
  });
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

/**
 * The app's in-process runtime: its servers' tool handlers run through it from now on, and its
 * status listener opens (found by `toolscope status`). Learned state is kept per app entry script.
 * Loaded when the first server is instrumented, so an agent that is only a client never pays for
 * it; and never before the app's own SDK import (the runtime's face holds the gateway and with it the
 * MCP SDK, which the ES module load hook must see the app load first), hence its own module.
 */
async function startInProcessRuntime(
  logging: Logging,
  telemetry: Telemetry | undefined,
  entry: string | undefined,
  env: Record<string, string | undefined>,
): Promise<InProcessRuntime> {
  const [{ InProcessRuntime }, { parseConfig, stateDirectoryFor }] = await Promise.all([
    import('../runtime/InProcessRuntime.js'),
    import('../config/index.js'),
  ]);
  let app: string | undefined;
  try {
    app = entry ? realpathSync(entry) : undefined;
  } catch {
    app = undefined;
  }
  const runtime = new InProcessRuntime({
    // The app's tools run here: `exact` charges each call its own CPU and heap (see src/profiling).
    config: parseConfig({ mcpServers: {}, toolscope: { profiling: { mode: 'exact' } } }, { env: {} })
      .toolscope,
    telemetry,
    logging,
    stateDir: app ? stateDirectoryFor({ kind: 'app', entry: app }, env) : undefined,
  });
  await runtime.start({ token: env.TOOLSCOPE_TOKEN || undefined, entry: app });
  runtime.attach(mcpInstrumentation().inProcess);
  return runtime;
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
