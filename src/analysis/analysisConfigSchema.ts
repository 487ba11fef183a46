import { z } from 'zod';
import type { AnalyzerOptions } from './AnalyzerOptions.js';
import type { AnalyzerServiceOptions } from './AnalyzerService.js';

const materiality = z.strictObject({
  /** Smallest relative change that counts (1.25 = 25 % up or 20 % down). */
  ratio: z.number().min(1).optional(),
  /** Smallest absolute change that counts, natural units (ms, µs, bytes, ratio, count). */
  absolute: z.number().min(0).optional(),
});

/**
 * `toolscope.analysis` in the config file. Every field is optional; defaults
 * are those of `AnalyzerOptions` / `AnalyzerServiceOptions`.
 */
export const analysisConfigSchema = z.strictObject({
  /** Judge calls at all. @default true */
  enabled: z.boolean().default(true),
  /** Directory for the learned state (baselines, forests); none keeps it in memory only. */
  stateDir: z.string().min(1).optional(),
  /** Seed of the forests' randomness. @default 0x5eed */
  seed: z.number().int().min(0).optional(),
  /** Calls before a tool's first baseline. @default 100 */
  warmupCalls: z.number().int().min(8).optional(),
  /** Calls per tool the baseline and forest learn from. @default 1024 */
  windowSize: z.number().int().min(16).max(65_536).optional(),
  /** Fastest the baseline follows an immaterial change, ≈ fraction per minute. @default 0.1 */
  driftPerMinute: z.number().min(0).max(10).optional(),
  /** Evidence (σ of the running average) that opens an anomaly. @default 5 */
  enterThreshold: z.number().positive().optional(),
  /** Evidence below which it closes. @default 2.5 */
  exitThreshold: z.number().positive().optional(),
  /** Recent calls whose median measures a change (smaller reacts faster on slow tools). @default 32 */
  effectWindow: z.number().int().min(4).max(256).optional(),
  /** Smallest error-rate increase that counts. @default 0.1 */
  minErrorRateIncrease: z.number().min(0).max(1).optional(),
  /** A latency fault is critical only when it also adds at least this much, ms. @default 250 */
  criticalLatencyMs: z.number().min(0).optional(),
  /** An anomaly episode closes only after this long without anomalous evidence, ms. @default 2000 */
  episodeQuietMs: z.number().int().min(0).max(600_000).optional(),
  /**
   * Service level objectives, by tool key (`service/tool`), service, or `*` (the most specific
   * wins). Missing one makes an episode critical and makes an overload alert even when no call
   * fails. None by default.
   */
  slo: z
    .record(
      z.string().min(1),
      z
        .strictObject({
          /** p95 of the latency callers see over the latest calls, ms. */
          latencyP95Ms: z.number().positive().optional(),
          /** Share of the latest calls that may fail, 0…1. */
          errorRate: z.number().min(0).max(1).optional(),
        })
        .refine((slo) => slo.latencyP95Ms !== undefined || slo.errorRate !== undefined, {
          message: 'an SLO needs latencyP95Ms or errorRate',
        }),
    )
    .optional(),
  /** Per-feature materiality, e.g. `{ "latency": { "ratio": 1.5 } }`. */
  materiality: z
    .partialRecord(
      z.enum([
        'latency',
        'cpu',
        'cpu_ratio',
        'heap',
        'input_bytes',
        'output_bytes',
        'error',
        'queue_wait',
        'in_flight',
      ]),
      materiality,
    )
    .optional(),
  forest: z
    .strictObject({
      /** @default true */
      enabled: z.boolean().optional(),
      /** @default 100 */
      trees: z.number().int().min(1).max(1000).optional(),
      /** ψ. @default 256 */
      sampleSize: z.number().int().min(2).max(4096).optional(),
      /** Trees walked per call. @default 8 */
      treesPerCall: z.number().int().min(1).optional(),
      /** Retrain interval, ms. @default 60000 */
      retrainMs: z.number().int().min(1000).optional(),
      /** Sustained forest evidence that alone makes calls anomalous (a broken relation between figures). @default 4.5 */
      alarmThreshold: z.number().positive().optional(),
      /** …held for this many calls running. @default 16 */
      alarmCalls: z.number().int().min(1).optional(),
    })
    .optional(),
  /** Maintenance cadence, ms. @default 1000 */
  maintainIntervalMs: z.number().int().min(10).optional(),
  /** Snapshot cadence when `stateDir` is set, ms. @default 300000 */
  snapshotIntervalMs: z.number().int().min(0).optional(),
});

/** The parsed `toolscope.analysis` section. */
export type AnalysisConfig = z.infer<typeof analysisConfigSchema>;

/** Splits the config section into analyzer and service options (the store is the caller's: it needs `stateDir`). */
export function analysisOptionsFromConfig(config: AnalysisConfig): {
  analyzer: AnalyzerOptions;
  service: Pick<AnalyzerServiceOptions, 'maintainIntervalMs' | 'snapshotIntervalMs'>;
} {
  const {
    enabled: _enabled,
    stateDir: _stateDir,
    maintainIntervalMs,
    snapshotIntervalMs,
    ...analyzer
  } = config;
  return { analyzer, service: { maintainIntervalMs, snapshotIntervalMs } };
}
