// What the reference forwarders share (bench/fixtures/*forwarder.mjs): the forwarding loop and
// OpenTelemetry pipelines that record everything and export nothing. Each forwarder differs from the
// bare one only by what its hooks do to a message in passing.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const dropping = {
  export: (_items, done) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};

/**
 * A tracer whose spans go through a BatchSpanProcessor to an exporter that drops them, and a meter
 * whose reader collects every 10 s into the same.
 */
export function droppingTelemetry(name) {
  const tracer = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }).getTracer(
    name,
  );
  const meter = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: dropping, exportIntervalMillis: 10_000 })],
  }).getMeter(name);
  return { tracer, meter };
}

/**
 * Spawns the server named by the command line and forwards between it and this process's stdio: every
 * JSON line in either direction is parsed, handed to `onRequest` (agent → server) or `onResponse`
 * (server → agent), which may change it, and serialised again.
 */
export function forward({ onRequest, onResponse } = {}) {
  const [command, ...args] = process.argv.slice(2);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  createInterface({ input: process.stdin }).on('line', (line) => {
    const message = JSON.parse(line);
    onRequest?.(message);
    child.stdin.write(`${JSON.stringify(message)}\n`);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line);
    onResponse?.(message);
    process.stdout.write(`${JSON.stringify(message)}\n`);
  });
  process.stdin.on('end', () => child.kill());
  child.on('exit', () => process.exit(0));
}
