import { type Span, trace } from '@opentelemetry/api';
import type { CallObservation, CallObserver } from '../pipeline/index.js';
import type { KeepReason } from './TailSampler.js';

/** One exported trace of a call, as the dashboard links it. */
export interface KeptTrace {
  readonly traceId: string;
  readonly reason: KeepReason;
  /** Epoch ms of the call's start. */
  readonly time: number;
  readonly durationMs: number;
  readonly service: string;
  readonly tool: string;
}

/** Calls of which tools, in which window (call start, epoch ms). */
export interface KeptTraceQuery {
  service: string;
  /** One tool of the service; every tool of it when absent. */
  tool?: string | undefined;
  from: number;
  to: number;
  /** @default 5 */
  limit?: number;
}

interface Slot {
  traceId: string;
  reason: KeepReason;
  time: number;
  durationMs: number;
}

/** A fixed ring of slots, rewritten in place once full (no allocation per call then). */
class Ring {
  readonly #slots: Slot[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  push(traceId: string, reason: KeepReason, time: number, durationMs: number): void {
    const slot = this.#slots[this.#next];
    if (slot === undefined) this.#slots.push({ traceId, reason, time, durationMs });
    else {
      slot.traceId = traceId;
      slot.reason = reason;
      slot.time = time;
      slot.durationMs = durationMs;
    }
    this.#next = (this.#next + 1) % this.capacity;
  }

  *within(from: number, to: number): Generator<Slot> {
    for (const slot of this.#slots) if (slot.time >= from && slot.time <= to) yield slot;
  }
}

interface ToolTraces {
  readonly service: string;
  readonly tool: string;
  /** Kept because they failed, were flagged or were slow. */
  readonly telling: Ring;
  /** Kept because of the caller's flag or the draw. */
  readonly drawn: Ring;
}

const TELLING: ReadonlySet<KeepReason> = new Set(['error', 'anomaly', 'slow']);
const MAX_TOOLS = 10_000;

/**
 * The latest exported traces per tool, so the dashboard can link an anomaly
 * episode or an alert to the traces of that incident that Jaeger holds. A
 * deferred call observer: by the time it runs, the call's trace is decided. Per
 * tool it keeps the last 32 traces kept for a telling reason (error, anomaly,
 * slow) apart from the last 8 kept by the draw, so ordinary traffic does not
 * push an incident's traces out.
 */
export class KeptTraceLog implements CallObserver {
  readonly #sampler: { keptReason(span: Span): KeepReason | undefined };
  readonly #tools = new Map<string, ToolTraces>();

  constructor(sampler: { keptReason(span: Span): KeepReason | undefined }) {
    this.#sampler = sampler;
  }

  onObservation(o: CallObservation): void {
    const span = o.traceContext === undefined ? undefined : trace.getSpan(o.traceContext);
    if (span === undefined) return;
    const reason = this.#sampler.keptReason(span);
    if (reason === undefined) return;
    let tool = this.#tools.get(o.ref.key);
    if (tool === undefined) {
      if (this.#tools.size >= MAX_TOOLS) return;
      tool = { service: o.ref.service, tool: o.ref.tool, telling: new Ring(32), drawn: new Ring(8) };
      this.#tools.set(o.ref.key, tool);
    }
    (TELLING.has(reason) ? tool.telling : tool.drawn).push(
      span.spanContext().traceId,
      reason,
      o.startTime,
      o.durationMs,
    );
  }

  /** Kept traces of the query's calls: telling ones first (earliest first: the onset), then drawn ones. */
  find(query: KeptTraceQuery): KeptTrace[] {
    const telling: KeptTrace[] = [];
    const drawn: KeptTrace[] = [];
    for (const tool of this.#tools.values()) {
      if (tool.service !== query.service || (query.tool !== undefined && tool.tool !== query.tool)) continue;
      for (const slot of tool.telling.within(query.from, query.to))
        telling.push({ ...slot, service: tool.service, tool: tool.tool });
      for (const slot of tool.drawn.within(query.from, query.to))
        drawn.push({ ...slot, service: tool.service, tool: tool.tool });
    }
    const byTime = (a: KeptTrace, b: KeptTrace) => a.time - b.time;
    return [...telling.sort(byTime), ...drawn.sort(byTime)].slice(0, query.limit ?? 5);
  }
}
