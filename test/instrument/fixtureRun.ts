import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../e2e/helpers.js';
import type { ReceivedSpan } from '../e2e/otlpReceiver.js';

export const FIXTURES = join(ROOT, 'test/fixtures/instrument');
export const REGISTER_ESM = join(ROOT, 'dist/register.js');
export const REGISTER_CJS = join(ROOT, 'dist/register.cjs');

/** How the fixture is started: plain, or with the register hook preloaded one way or the other. */
export type Preload = 'none' | 'import' | 'require';

export interface FixtureRun {
  /** The app's last stdout line, parsed (what the app saw). */
  output: Record<string, unknown>;
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Node arguments that preload the built register hook. */
export function preloadArgs(preload: Preload, extra: string[] = []): string[] {
  if (preload === 'none') return extra;
  return [
    preload === 'import' ? '--import' : '--require',
    preload === 'import' ? REGISTER_ESM : REGISTER_CJS,
    ...extra,
  ];
}

/** Run a fixture app to its end; resolves with what it printed. */
export function runFixture(
  app: string,
  options: {
    preload: Preload;
    env?: Record<string, string | undefined>;
    nodeArgs?: string[];
    /** Arguments after the app path. */
    args?: string[];
    timeoutMs?: number;
  },
): Promise<FixtureRun> {
  const child = spawn(
    process.execPath,
    [...preloadArgs(options.preload, options.nodeArgs), app, ...(options.args ?? [])],
    {
      cwd: FIXTURES,
      env: { ...process.env, TOOLSCOPE_LOG_LEVEL: 'error', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${app} did not finish: ${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let output: Record<string, unknown> = {};
      try {
        output = JSON.parse(last) as Record<string, unknown>;
      } catch {
        // Left empty: the assertion on `output` shows stdout/stderr.
      }
      resolve({ output, stdout, stderr, code, signal });
    });
  });
}

/** Env that sends the run's spans to `receiverUrl` quickly, under a service name of its own. */
export function otlpEnv(receiverUrl: string, service: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_SERVICE_NAME: service,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '60000',
  };
}

/** The one span named `name` of `kind` among `spans`. */
export function only(spans: ReceivedSpan[], name: string, kind: number): ReceivedSpan {
  const matches = spans.filter((span) => span.name === name && span.kind === kind);
  if (matches.length !== 1) {
    throw new Error(
      `expected one ${kind} span "${name}", got ${matches.length}: ${spans.map((s) => `${s.kind}:${s.name}`).join(', ')}`,
    );
  }
  return matches[0] as ReceivedSpan;
}
