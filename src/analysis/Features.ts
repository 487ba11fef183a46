import type { CallObservation } from '../pipeline/CallObservation.js';
import type { FeatureName } from './Verdict.js';

/**
 * The analyzer's view of a call: nine numbers, transformed so that heavy tails
 * behave. Durations, CPU and sizes are log-transformed (a 2× change is the same
 * step at 10 ms as at 10 s, and a lognormal or Pareto tail becomes a Gaussian or
 * exponential one); the heap delta, which may be negative, goes through asinh
 * (signed, log-like for large magnitudes). A small offset per feature keeps zero
 * finite and stops sub-resolution jitter from looking like a big relative change.
 * Missing figures (no profiling, failed calls) are NaN and are skipped.
 */

/** Feature order of every vector in `analysis/`. */
export const FEATURES: readonly FeatureName[] = [
  'latency',
  'cpu',
  'cpu_ratio',
  'heap',
  'input_bytes',
  'output_bytes',
  'error',
  'queue_wait',
  'in_flight',
];
export const FEATURE_COUNT = 9;
export const F_LATENCY = 0;
export const F_CPU = 1;
export const F_CPU_RATIO = 2;
export const F_HEAP = 3;
export const F_INPUT = 4;
export const F_OUTPUT = 5;
export const F_ERROR = 6;
export const F_QUEUE = 7;
export const F_IN_FLIGHT = 8;

/** Direction of change that matters: +1 up, −1 down, 0 either. */
export type Direction = 1 | -1 | 0;

/**
 * When a deviation of a feature counts as real: the recent typical value must
 * differ from the baseline's by at least `ratio` (or 1/ratio downwards) and by
 * `absolute` natural units. This is what lets a 5 % slower deploy pass quietly.
 */
export interface Materiality {
  readonly ratio: number;
  readonly absolute: number;
}

/**
 * True when `recent` differs from `typical` (natural units) enough to matter in
 * `direction`: by `max(spec.ratio, noiseRatio)` and by `spec.absolute`. Inside an
 * episode (`relaxed`) both bars are halved: hysteresis against flapping.
 */
export function materialChange(
  recent: number,
  typical: number,
  spec: Materiality,
  direction: Direction,
  noiseRatio: number,
  relaxed: boolean,
): boolean {
  const base = Math.max(spec.ratio, noiseRatio);
  const ratio = relaxed ? 1 + (base - 1) / 2 : base;
  const absolute = relaxed ? spec.absolute / 2 : spec.absolute;
  const up = recent - typical >= absolute && (typical <= 0 || recent >= typical * ratio);
  const down = typical - recent >= absolute && (recent <= 0 || typical >= recent * ratio);
  return direction === 1 ? up : direction === -1 ? down : up || down;
}

/** Static facts about one feature. */
export interface FeatureSpec {
  readonly name: FeatureName;
  readonly direction: Direction;
  /** Primary features can make a call anomalous; context features only explain. */
  readonly primary: boolean;
  /** Smallest robust scale, transformed units (MAD is 0 for constant features). */
  readonly scaleFloor: number;
  readonly materiality: Materiality;
}

/** Per-feature defaults; `error` is judged as a rate, not through these. */
export const FEATURE_SPECS: readonly FeatureSpec[] = [
  {
    name: 'latency',
    direction: 1,
    primary: true,
    scaleFloor: 0.03,
    materiality: { ratio: 1.25, absolute: 1 },
  },
  { name: 'cpu', direction: 1, primary: true, scaleFloor: 0.03, materiality: { ratio: 1.5, absolute: 1000 } },
  {
    name: 'cpu_ratio',
    direction: 0,
    primary: true,
    scaleFloor: 0.03,
    materiality: { ratio: 1.5, absolute: 0.05 },
  },
  {
    name: 'heap',
    direction: 1,
    primary: true,
    scaleFloor: 0.03,
    materiality: { ratio: 1.5, absolute: 65_536 },
  },
  {
    name: 'input_bytes',
    direction: 0,
    primary: false,
    scaleFloor: 0.05,
    materiality: { ratio: 2, absolute: 256 },
  },
  {
    name: 'output_bytes',
    direction: 0,
    primary: true,
    scaleFloor: 0.05,
    materiality: { ratio: 2, absolute: 256 },
  },
  { name: 'error', direction: 1, primary: true, scaleFloor: 0, materiality: { ratio: 1, absolute: 0.1 } },
  {
    name: 'queue_wait',
    direction: 1,
    primary: false,
    scaleFloor: 0.1,
    materiality: { ratio: 2, absolute: 10 },
  },
  {
    name: 'in_flight',
    direction: 1,
    primary: false,
    scaleFloor: 0.1,
    materiality: { ratio: 1.5, absolute: 2 },
  },
];

const LATENCY_OFFSET_MS = 0.05;
const CPU_OFFSET_US = 10;
const HEAP_UNIT = 4096;
const BYTES_OFFSET = 16;
const QUEUE_OFFSET_MS = 1;

/**
 * How the analyzer treats a call, from its outcome: `Success`, every feature is
 * informative; `Failure`, the tool or its transport failed, so only the error flag
 * and the context features are; `Ignored`, the call never reached the tool or was
 * cut short by its caller (rejected, cancelled, bad params): no evidence either way.
 */
export const CallKind = { Success: 0, Failure: 1, Ignored: 2 } as const;
export type CallKind = (typeof CallKind)[keyof typeof CallKind];

/** Classifies a call (see `CallKind`). */
export function callKind(obs: CallObservation): CallKind {
  if (obs.outcome === 'success') return CallKind.Success;
  switch (obs.errorType) {
    case 'overloaded':
    case 'circuit_open':
    case 'cancelled':
    case 'invalid_params':
      return CallKind.Ignored;
    default:
      return CallKind.Failure;
  }
}

/**
 * Whether the CPU figures describe this call alone. Process-window CPU (cheap
 * profiling) is shared with every call in flight and upstream-process CPU with
 * the service's other calls: judging a call by them would blame it for its
 * neighbours, so they count only when the call ran alone.
 */
function cpuIsTheCalls(obs: CallObservation): boolean {
  const attribution = obs.cpuAttribution ?? 'call';
  if (attribution === 'call') return true;
  if (obs.inFlightDuringCall === undefined || obs.inFlightDuringCall > 1) return false;
  // An upstream process's CPU comes from the kernel's 10 ms ticks: a shorter call reads 0 or 10 ms
  // at random, which looked like a CPU anomaly on every error burst and leak in the incident lab.
  return attribution !== 'upstream_process' || (obs.cpuWindowMs ?? 0) >= UPSTREAM_CPU_MIN_WINDOW_MS;
}

/** Ten ticks of /proc's CPU counters: the shortest window whose upstream CPU is within ~10 %. */
const UPSTREAM_CPU_MIN_WINDOW_MS = 100;

/** Writes the transformed features of `obs` into `out` (NaN where not informative). */
export function extractFeatures(obs: CallObservation, kind: CallKind, out: Float64Array): void {
  const hasCpu = (obs.cpuUserMicros !== undefined || obs.cpuSystemMicros !== undefined) && cpuIsTheCalls(obs);
  const cpuUs = (obs.cpuUserMicros ?? 0) + (obs.cpuSystemMicros ?? 0);
  const ok = kind === CallKind.Success;
  // The tool's own latency: the wait for a slot in our pool is load (the queue feature), not the
  // tool. Counting it made every shrink of a pool look like a slower tool.
  const executionMs = obs.durationMs - obs.queueWaitMs;
  out[F_LATENCY] = ok ? Math.log(Math.max(0, executionMs) + LATENCY_OFFSET_MS) : Number.NaN;
  out[F_CPU] = ok && hasCpu ? Math.log(Math.max(0, cpuUs) + CPU_OFFSET_US) : Number.NaN;
  out[F_CPU_RATIO] =
    ok && hasCpu
      ? Math.log((Math.max(0, cpuUs) + CPU_OFFSET_US) / (Math.max(0, executionMs) * 1000 + CPU_OFFSET_US))
      : Number.NaN;
  out[F_HEAP] =
    ok && obs.heapAllocatedBytes !== undefined ? Math.asinh(obs.heapAllocatedBytes / HEAP_UNIT) : Number.NaN;
  out[F_INPUT] = Math.log(Math.max(0, obs.inputBytes) + BYTES_OFFSET);
  out[F_OUTPUT] = ok ? Math.log(Math.max(0, obs.outputBytes) + BYTES_OFFSET) : Number.NaN;
  out[F_ERROR] = ok ? 0 : 1;
  out[F_QUEUE] = Math.log(Math.max(0, obs.queueWaitMs) + QUEUE_OFFSET_MS);
  out[F_IN_FLIGHT] = Math.log(Math.max(0, obs.inFlightAtStart) + 1);
}

/** Back from transformed to natural units (ms, µs, bytes, ratio, 0..1, count). */
export function naturalValue(feature: number, t: number): number {
  switch (feature) {
    case F_LATENCY:
      return Math.max(0, Math.exp(t) - LATENCY_OFFSET_MS);
    case F_CPU:
      return Math.max(0, Math.exp(t) - CPU_OFFSET_US);
    case F_CPU_RATIO:
      return Math.exp(t);
    case F_HEAP:
      return Math.sinh(t) * HEAP_UNIT;
    case F_INPUT:
    case F_OUTPUT:
      return Math.max(0, Math.exp(t) - BYTES_OFFSET);
    case F_QUEUE:
      return Math.max(0, Math.exp(t) - QUEUE_OFFSET_MS);
    case F_IN_FLIGHT:
      return Math.max(0, Math.exp(t) - 1);
    default:
      return t;
  }
}

/** The call's own value of feature `j` in natural units (for `FeatureDeviation.value`). */
export function rawFeature(obs: CallObservation, j: number): number {
  const cpuUs = (obs.cpuUserMicros ?? 0) + (obs.cpuSystemMicros ?? 0);
  switch (j) {
    case F_LATENCY:
      return obs.durationMs - obs.queueWaitMs;
    case F_CPU:
      return cpuUs;
    case F_CPU_RATIO:
      return obs.durationMs - obs.queueWaitMs > 0 ? cpuUs / ((obs.durationMs - obs.queueWaitMs) * 1000) : 0;
    case F_HEAP:
      return obs.heapAllocatedBytes ?? 0;
    case F_INPUT:
      return obs.inputBytes;
    case F_OUTPUT:
      return obs.outputBytes;
    case F_ERROR:
      return obs.outcome === 'success' ? 0 : 1;
    case F_QUEUE:
      return obs.queueWaitMs;
    default:
      return obs.inFlightAtStart;
  }
}
