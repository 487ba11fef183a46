import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * `toolscope.profiling`: how calls are measured and when profiles are captured.
 * Defaults come from measurements on a 2-vCPU VM (src/profiling/README.md,
 * bench/RESULTS.md).
 */
export const profilingConfigSchema = z.strictObject({
  /**
   * `off` | `cheap` (process CPU over the call window + in-flight mean, ~2 µs per
   * call) | `exact` (each call's own CPU and heap via an async hook; costs on every
   * async continuation in the process, see the README). @default "cheap"
   */
  mode: z.enum(['off', 'cheap', 'exact']).default('cheap'),
  /** Event-loop lag timer resolution while calls are in flight, ms. @default 10 */
  eventLoopResolutionMs: z.number().int().min(1).max(1000).default(10),
  /** Upstream child processes, sampled from /proc (Linux only). */
  upstream: z
    .strictObject({
      /** Sample upstream process trees at all. @default true */
      enabled: z.boolean().default(true),
      /** Periodic sampling for the utilisation and RSS gauges, ms. @default 5000 */
      intervalMs: z.number().int().min(100).default(5000),
      /** Per-call samples younger than this are reused (/proc CPU moves in 10 ms ticks), ms. @default 10 */
      minSampleIntervalMs: z.number().int().min(0).default(10),
      /** How often descendants (npx/shell wrappers' children) are looked up again, ms. @default 5000 */
      treeRefreshMs: z.number().int().min(100).default(5000),
    })
    .prefault({}),
  /** Sampling CPU/heap profiles on demand and on anomalies. */
  capture: z
    .strictObject({
      /** Directory for `.cpuprofile`/`.heapprofile` files. @default "<os tmpdir>/toolscope-profiles" */
      directory: z.string().min(1).default(join(tmpdir(), 'toolscope-profiles')),
      /** Files kept; the oldest go first. @default 20 */
      maxFiles: z.number().int().min(1).default(20),
      /** Bytes kept. @default 104857600 (100 MiB) */
      maxBytes: z
        .number()
        .int()
        .min(1024 * 1024)
        .default(100 * 1024 * 1024),
      /** Capture length when none is asked for, s. @default 10 */
      seconds: z.number().positive().max(600).default(10),
      /** Longest capture anyone may ask for, s. @default 120 */
      maxSeconds: z.number().positive().max(600).default(120),
      /** CPU sampling interval, µs. @default 1000 */
      samplingIntervalMicros: z.number().int().min(100).max(100_000).default(1000),
      /**
       * Capture automatically when the analyzer flags a tool whose code runs in this process
       * (in-process and HTTP API tools, instrumented servers; not upstream servers). @default true
       */
      autoOnAnomaly: z.boolean().default(true),
      /** Automatic captures of one tool at most this often, s. @default 600 */
      minIntervalSeconds: z.number().min(0).default(600),
      /** Automatic captures per rolling hour, all tools together. @default 6 */
      maxPerHour: z.number().int().min(0).default(6),
      /** Also take a sampling heap profile (allocation then retention phase, ends in a forced GC). @default true */
      heap: z.boolean().default(true),
      /** Heap sampling interval, bytes. @default 32768 */
      heapSamplingIntervalBytes: z.number().int().min(1024).default(32768),
      /** Functions / heap sites kept per result. @default 15 */
      top: z.number().int().min(1).max(200).default(15),
    })
    .prefault({}),
});

/** `toolscope.profiling` after defaults. */
export type ProfilingConfig = z.infer<typeof profilingConfigSchema>;
