import { z } from 'zod';

/*
 * Tuner config: `toolscope.tuning` in the config file. Per pool settings are looked up by
 * pool id (`service`, or `service/tool` for a tool's own pool), then the service part of a
 * tool pool's id, then `defaults`; the most specific value wins, field by field.
 */

const limit = z.number().int().min(1).max(10_000);

/** Tuning settings of one pool (every field optional: unset fields come from less specific levels). */
export const poolTuningSchema = z
  .strictObject({
    /** Let the tuner resize this pool. @default true */
    enabled: z.boolean().optional(),
    /** Recommend (decisions are recorded, with `applied: false`) without resizing. @default false */
    dryRun: z.boolean().optional(),
    /** Smallest limit the tuner sets. @default 1 */
    min: limit.optional(),
    /** Largest limit the tuner sets. @default 256 */
    max: limit.optional(),
    /** Limit the tuner starts from; unset keeps the pool's configured limit. */
    initial: limit.optional(),
    /** Tools of this pool run in this process: host CPU saturation shrinks it. @default false */
    inProcess: z.boolean().optional(),
  })
  .refine((p) => p.min === undefined || p.max === undefined || p.min <= p.max, {
    message: 'min must not exceed max',
    path: ['min'],
  })
  .refine((p) => p.initial === undefined || ((p.min ?? 1) <= p.initial && p.initial <= (p.max ?? 10_000)), {
    message: 'initial must lie within [min, max]',
    path: ['initial'],
  });

/** Advanced controller knobs (see `PoolControllerOptions`); the defaults are the benchmarked ones. */
export const controllerTuningSchema = z.strictObject({
  /** Shortest window between decisions, ms. @default 250 */
  windowMs: z.number().int().min(10).max(60_000).optional(),
  /** Calls a window needs before it closes. @default 20 */
  minWindowSamples: z.number().int().min(3).max(10_000).optional(),
  /** Standing upstream queue aimed for, as a share of capacity. @default 0.2 */
  headroom: z.number().min(0).max(2).optional(),
  /** Period of no-load probes, ms. @default 30000 */
  probeIntervalMs: z.number().int().min(1000).optional(),
});

/** `toolscope.tuning`: the adaptive resource manager. */
export const tuningConfigSchema = z.strictObject({
  /** Run the tuner at all. @default true */
  enabled: z.boolean().default(true),
  /** Recommend only, for every pool (a pool's own `dryRun` can only add to this). @default false */
  dryRun: z.boolean().default(false),
  /** Tick cadence the manager expects (window boundaries are checked this often), ms. @default 100 */
  intervalMs: z.number().int().min(10).max(10_000).default(100),
  /** Host CPU utilisation (0…1) at or above which in-process pools shrink. @default 0.9 */
  hostCpuSaturation: z.number().min(0.1).max(1).default(0.9),
  /** Decisions kept for status. @default 200 */
  history: z.number().int().min(1).max(100_000).default(200),
  /** Settings every pool starts from. */
  defaults: poolTuningSchema.optional(),
  /** Per pool settings, keyed by pool id (`service` or `service/tool`). @default {} */
  pools: z.record(z.string().min(1), poolTuningSchema).default({}),
  controller: controllerTuningSchema.optional(),
});

/** `toolscope.tuning` after parsing (defaults filled in). */
export type TuningConfig = z.output<typeof tuningConfigSchema>;
/** One pool's settings as written. */
export type PoolTuningConfig = z.output<typeof poolTuningSchema>;

/** One pool's settings, resolved. */
export interface ResolvedPoolTuning {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly min: number;
  readonly max: number;
  readonly initial: number | undefined;
  readonly inProcess: boolean;
}

/** The tuner config with every default filled in (for callers without a config file). */
export const DEFAULT_TUNING_CONFIG: TuningConfig = tuningConfigSchema.parse({});

/** Resolves a pool's settings: its own entry, then its service's (for `service/tool` pools), then `defaults`. */
export function resolvePoolTuning(config: TuningConfig, poolId: string): ResolvedPoolTuning {
  const slash = poolId.indexOf('/');
  const service = slash > 0 ? config.pools[poolId.slice(0, slash)] : undefined;
  const own = config.pools[poolId];
  const pick = <K extends keyof PoolTuningConfig>(key: K): PoolTuningConfig[K] =>
    own?.[key] ?? service?.[key] ?? config.defaults?.[key];
  const min = pick('min') ?? 1;
  const max = Math.max(min, pick('max') ?? 256);
  const initial = pick('initial');
  return {
    enabled: config.enabled && (pick('enabled') ?? true),
    dryRun: config.dryRun || (pick('dryRun') ?? false),
    min,
    max,
    initial: initial === undefined ? undefined : Math.min(max, Math.max(min, initial)),
    inProcess: pick('inProcess') ?? false,
  };
}
