import {
  type Span as ApiSpan,
  type Context,
  type HrTime,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type ExemplarGate, TraceState } from './LocalHistograms.js';
import { SlowCallThreshold } from './SlowCallThreshold.js';
import { ATTR_TS_ANOMALY, ATTR_TS_ERROR_TYPE, ATTR_TS_SAMPLING_REASON } from './toolscopeNames.js';

/** Classes of traces kept whatever the ratio (`toolscope.telemetry.sampling.keep`). */
export type KeepClass = 'errors' | 'anomalies' | 'slow';
/**
 * Why a trace was exported, most telling first: it failed; the analyzer flagged
 * it; it was slower than its operation's p99; the caller's trace context said
 * sampled (W3C); it won the ratio draw.
 */
export type KeepReason = 'error' | 'anomaly' | 'slow' | 'parent' | 'ratio';
/** Why a trace was not: it was ordinary and lost the draw; the buffer was full; toolscope stopped first. */
export type DropReason = 'ordinary' | 'buffer_full' | 'unfinished';

/** One count of `toolscope.telemetry.sampled`. */
export interface SamplingCount {
  readonly decision: 'kept' | 'dropped';
  readonly reason: KeepReason | DropReason;
  readonly traces: number;
}

/** Options of {@link TailSampler}. */
export interface TailSamplerOptions {
  /** Share of ordinary traces exported, 0…1; 1 exports every trace and buffers nothing. */
  ratio: number;
  /** Classes exported whatever the ratio. */
  keep: readonly KeepClass[];
  /** Most finished spans held for undecided traces. */
  bufferSpans: number;
  /** Where the spans of kept traces go, at their end (a `BatchSpanProcessor`). */
  next: SpanProcessor;
  /** The "slower than p99" judge. @default a new {@link SlowCallThreshold} */
  slow?: SlowCallThreshold;
  /**
   * Instrumentation scope of toolscope's own records: an INTERNAL root span of
   * it (a tuning decision, a task's lifecycle) is not a call, and is always
   * exported, uncounted. @default "toolscope"
   */
  ownScope?: string;
}

const PENDING = 0;
const KEPT = 1;
const DROPPED = 2;
type State = typeof PENDING | typeof KEPT | typeof DROPPED;

/** Exemplars waiting for their trace's decision, at most this many per trace. */
const MAX_DEFERRED = 16;
/** 2⁵²: the draw reads the 52 low bits of the trace id (W3C: the rightmost 7 bytes are random). */
const DRAW_SCALE = 2 ** 52;

/** Everything recorded under one local root (one call): its buffered spans and what is known so far. */
class TraceEntry {
  state: State = PENDING;
  /** Set once the decision is final (the root ended, or the trace was decided early). */
  reason: KeepReason | DropReason | undefined;
  /** Not a call (toolscope's own record): exported, never judged or counted. */
  exempt = false;
  /** The draw's provisional reason for a trace exported from its start (`parent`, `ratio`). */
  provisional: KeepReason | undefined;
  /** Finished spans waiting for the decision (never the root). */
  spans: ReadableSpan[] | undefined;
  error = false;
  anomaly = false;
  deferred: Array<() => void> | undefined;

  constructor(readonly root: Span) {}
}

/**
 * Where a span keeps its call's entry: a symbol-keyed property on the span
 * object. A WeakMap would do the same without touching the SDK's objects, but
 * at thousands of spans a second its ephemeron table made the garbage collector
 * the largest cost of the whole sampler (measured: 56 % of its CPU). The
 * property goes with the span; exporters read only the fields they know.
 */
const ENTRY = Symbol('toolscope.tailSampler.entry');
type WithEntry = { [ENTRY]?: TraceEntry };

function entryOf(span: object): TraceEntry | undefined {
  return (span as WithEntry)[ENTRY];
}

function setEntry(span: object, entry: TraceEntry): void {
  (span as WithEntry)[ENTRY] = entry;
}

function milliseconds(time: HrTime): number {
  return time[0] * 1e3 + time[1] / 1e6;
}

/** The local root's remote parent said "sampled" (W3C trace-context). */
function parentSampled(parent: SpanContext | undefined): boolean {
  return parent?.isRemote === true && (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** The ordinary draw, from the trace id: every process (gateway, proxy, instrumented server) draws alike. */
export function winsRatioDraw(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return Number.parseInt(traceId.slice(-13), 16) < ratio * DRAW_SCALE;
}

/**
 * In-process tail sampling, as a span processor in front of the batch
 * processor. Every span is recorded; the spans of a call (everything under its
 * local root: the SERVER span of the request, its CLIENT span upstream, …) wait
 * in a bounded buffer until the root ends, and then the whole trace goes to the
 * exporter together, or nowhere. A trace is exported when it failed (any error
 * class, on any of its spans), the analyzer flagged it (`toolscope.anomaly` on a
 * span: the call, or its tool's episode), it was slower than its operation's
 * current p99, its caller's W3C context said sampled, or its trace id won the
 * ratio draw. The last two are known when the root starts: such a trace is not
 * buffered at all, and at ratio 1 nothing is. The root of an exported trace
 * carries `toolscope.sampling.reason`. Past `bufferSpans`, the oldest undecided
 * trace is decided at once on what is known (`buffer_full` when dropped).
 * toolscope's own records that are not calls (a tuning decision, a task's
 * lifecycle: INTERNAL roots of its scope) are always exported.
 *
 * Also the exemplar gate of the latency histograms: a measurement carries its
 * trace's ids only when that trace is exported, and waits for the decision when
 * it is not taken yet.
 */
export class TailSampler implements SpanProcessor, ExemplarGate {
  readonly #next: SpanProcessor;
  readonly #ratio: number;
  readonly #keepErrors: boolean;
  readonly #keepAnomalies: boolean;
  readonly #keepSlow: boolean;
  readonly #bufferSpans: number;
  readonly #passThrough: boolean;
  readonly #slow: SlowCallThreshold;
  readonly #ownScope: string;
  /** Undecided traces holding spans, oldest first. */
  readonly #waiting = new Set<TraceEntry>();
  #buffered = 0;
  readonly #kept: Record<KeepReason, number> = { error: 0, anomaly: 0, slow: 0, parent: 0, ratio: 0 };
  readonly #dropped: Record<DropReason, number> = { ordinary: 0, buffer_full: 0, unfinished: 0 };

  constructor(options: TailSamplerOptions) {
    this.#next = options.next;
    this.#ratio = options.ratio;
    this.#keepErrors = options.keep.includes('errors');
    this.#keepAnomalies = options.keep.includes('anomalies');
    this.#keepSlow = options.keep.includes('slow');
    this.#bufferSpans = options.bufferSpans;
    this.#passThrough = options.ratio >= 1;
    this.#slow = options.slow ?? new SlowCallThreshold();
    this.#ownScope = options.ownScope ?? 'toolscope';
  }

  /** Every trace is exported (ratio 1): spans go straight through, nothing is buffered. */
  get passThrough(): boolean {
    return this.#passThrough;
  }

  /** Spans held now for undecided traces. */
  get bufferedSpans(): number {
    return this.#buffered;
  }

  /** Traces decided so far, by decision and reason (`toolscope.telemetry.sampled`). */
  counts(): SamplingCount[] {
    const counts: SamplingCount[] = [];
    for (const [reason, traces] of Object.entries(this.#kept))
      if (traces > 0) counts.push({ decision: 'kept', reason: reason as KeepReason, traces });
    for (const [reason, traces] of Object.entries(this.#dropped))
      if (traces > 0) counts.push({ decision: 'dropped', reason: reason as DropReason, traces });
    return counts;
  }

  /**
   * Why the trace of `span` was exported: `span` is a call's root (or, below ratio 1,
   * any span under it); undefined if the trace was not exported or is not decided yet.
   */
  keptReason(span: ApiSpan): KeepReason | undefined {
    const entry = entryOf(span);
    return entry?.state === KEPT && entry.reason !== undefined ? (entry.reason as KeepReason) : undefined;
  }

  onStart(span: Span, parentContext: Context): void {
    const parent = span.parentSpanContext;
    if (parent === undefined || parent.isRemote === true) {
      setEntry(span, this.#root(span, parent));
      return;
    }
    if (this.#passThrough) return;
    const parentSpan = trace.getSpan(parentContext);
    const entry = parentSpan === undefined ? undefined : entryOf(parentSpan);
    // A local parent toolscope never saw (another provider's span): this span stands for its own call.
    setEntry(span, entry ?? this.#root(span, undefined));
  }

  #root(span: Span, parent: SpanContext | undefined): TraceEntry {
    const entry = new TraceEntry(span);
    if (span.kind === SpanKind.INTERNAL && span.instrumentationScope.name === this.#ownScope) {
      entry.exempt = true;
      entry.state = KEPT;
      return entry;
    }
    // Known at the start: such a trace is exported whatever happens, so its spans need no buffer.
    if (parentSampled(parent)) entry.provisional = 'parent';
    else if (winsRatioDraw(span.spanContext().traceId, this.#ratio)) entry.provisional = 'ratio';
    if (entry.provisional !== undefined) entry.state = KEPT;
    return entry;
  }

  onEnding(span: Span): void {
    // Passing through, only roots are looked up (a child's parent is a local span).
    const parent = span.parentSpanContext;
    if (this.#passThrough && parent !== undefined && parent.isRemote !== true) return;
    const entry = entryOf(span);
    if (entry === undefined || entry.root !== span || entry.exempt) return;
    const slow = this.#slow.observe(span.name, milliseconds(span.duration));
    if (entry.reason === undefined) this.#decide(entry, span, slow);
    if (entry.state === KEPT) span.setAttribute(ATTR_TS_SAMPLING_REASON, entry.reason as string);
  }

  #decide(entry: TraceEntry, root: Span, slow: boolean): void {
    const attributes = root.attributes;
    let reason: KeepReason | undefined;
    if (
      this.#keepErrors &&
      (entry.error ||
        root.status.code === SpanStatusCode.ERROR ||
        attributes[ATTR_TS_ERROR_TYPE] !== undefined)
    )
      reason = 'error';
    else if (this.#keepAnomalies && (entry.anomaly || attributes[ATTR_TS_ANOMALY] === true))
      reason = 'anomaly';
    else if (this.#keepSlow && slow) reason = 'slow';
    else reason = entry.provisional;
    if (reason !== undefined) this.#keep(entry, reason);
    else this.#drop(entry, 'ordinary');
  }

  onEnd(span: ReadableSpan): void {
    if (this.#passThrough) {
      this.#next.onEnd(span);
      return;
    }
    const entry = entryOf(span);
    if (entry === undefined) {
      this.#next.onEnd(span);
      return;
    }
    if (entry.root === span) {
      if (entry.state === KEPT) this.#next.onEnd(span);
      return;
    }
    if (span.status.code === SpanStatusCode.ERROR) entry.error = true;
    if (span.attributes[ATTR_TS_ANOMALY] === true) entry.anomaly = true;
    if (entry.state === PENDING) this.#hold(entry, span);
    if (entry.state === KEPT) this.#next.onEnd(span);
  }

  #hold(entry: TraceEntry, span: ReadableSpan): void {
    if (this.#buffered >= this.#bufferSpans) {
      const oldest = this.#waiting.values().next().value ?? entry;
      this.#decideEarly(oldest, 'buffer_full');
      if (entry.state !== PENDING) return;
    }
    if (entry.spans === undefined) {
      entry.spans = [span];
      this.#waiting.add(entry);
    } else entry.spans.push(span);
    this.#buffered++;
  }

  /** Decides a trace whose root has not ended, on what is known now. */
  #decideEarly(entry: TraceEntry, dropReason: DropReason): void {
    if (this.#keepErrors && entry.error) this.#keep(entry, 'error');
    else if (this.#keepAnomalies && entry.anomaly) this.#keep(entry, 'anomaly');
    else if (entry.provisional !== undefined) this.#keep(entry, entry.provisional);
    else this.#drop(entry, dropReason);
  }

  #keep(entry: TraceEntry, reason: KeepReason): void {
    entry.reason = reason;
    this.#kept[reason]++;
    const spans = this.#release(entry);
    entry.state = KEPT;
    if (spans) for (const span of spans) this.#next.onEnd(span);
    const deferred = entry.deferred;
    if (deferred) {
      entry.deferred = undefined;
      for (const apply of deferred) apply();
    }
  }

  #drop(entry: TraceEntry, reason: DropReason): void {
    entry.reason = reason;
    this.#dropped[reason]++;
    this.#release(entry);
    entry.state = DROPPED;
    entry.deferred = undefined;
  }

  #release(entry: TraceEntry): ReadableSpan[] | undefined {
    const spans = entry.spans;
    if (spans === undefined) return undefined;
    entry.spans = undefined;
    this.#waiting.delete(entry);
    this.#buffered -= spans.length;
    return spans;
  }

  // ── exemplars ──

  traceState(span: ApiSpan): TraceState {
    if (this.#passThrough)
      return (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0 ? TraceState.Kept : TraceState.None;
    const entry = entryOf(span);
    if (entry === undefined || entry.state === DROPPED) return TraceState.None;
    return entry.state === KEPT ? TraceState.Kept : TraceState.Pending;
  }

  defer(span: ApiSpan, apply: () => void): void {
    const entry = entryOf(span);
    if (entry === undefined || entry.state !== PENDING) return;
    if (entry.deferred === undefined) entry.deferred = [apply];
    else if (entry.deferred.length < MAX_DEFERRED) entry.deferred.push(apply);
  }

  // ── lifecycle ──

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  /** Traces still undecided are decided on what is known (their calls never ended), then the exporter flushes. */
  shutdown(): Promise<void> {
    for (const entry of [...this.#waiting]) this.#decideEarly(entry, 'unfinished');
    return this.#next.shutdown();
  }
}
