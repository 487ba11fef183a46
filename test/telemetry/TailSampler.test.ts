import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  type KeepClass,
  SlowCallThreshold,
  TailSampler,
  TraceState,
  winsRatioDraw,
} from '../../src/telemetry/index.js';
import { binomialBounds } from './binomialBounds.js';

interface Setup {
  ratio?: number;
  keep?: KeepClass[];
  bufferSpans?: number;
  slow?: SlowCallThreshold;
}

function setup(options: Setup = {}) {
  const exported = new InMemorySpanExporter();
  /** Each batch the exporter got: a kept trace must arrive in one. */
  const sampler = new TailSampler({
    ratio: options.ratio ?? 0,
    keep: options.keep ?? ['errors', 'anomalies', 'slow'],
    bufferSpans: options.bufferSpans ?? 10_000,
    slow: options.slow,
    next: new SimpleSpanProcessor(exported),
  });
  const provider = new BasicTracerProvider({ spanProcessors: [sampler] });
  const tracer = provider.getTracer('test');
  const traces = () => {
    const byTrace = new Map<string, ReadableSpan[]>();
    for (const span of exported.getFinishedSpans()) {
      const list = byTrace.get(span.spanContext().traceId) ?? [];
      list.push(span);
      byTrace.set(span.spanContext().traceId, list);
    }
    return byTrace;
  };
  /** A gateway call: SERVER span (the local root) around one CLIENT span upstream. */
  const call = (
    shape: {
      parent?: Context;
      clientError?: boolean;
      serverError?: boolean;
      anomaly?: boolean;
      durationMs?: number;
      name?: string;
    } = {},
  ) => {
    const start = 1_000_000;
    const server = tracer.startSpan(
      shape.name ?? 'tools/call svc_echo',
      { kind: SpanKind.SERVER, startTime: start },
      shape.parent ?? ROOT_CONTEXT,
    );
    const client = tracer.startSpan(
      'tools/call echo',
      { kind: SpanKind.CLIENT, startTime: start },
      trace.setSpan(ROOT_CONTEXT, server),
    );
    if (shape.clientError) client.setStatus({ code: SpanStatusCode.ERROR });
    client.end(start + 1);
    if (shape.serverError) server.setStatus({ code: SpanStatusCode.ERROR });
    if (shape.anomaly) server.setAttribute('toolscope.anomaly', true);
    server.end(start + (shape.durationMs ?? 2));
    return { server, client, traceId: server.spanContext().traceId };
  };
  return { sampler, tracer, exported, traces, call };
}

const remoteParent = (flags: TraceFlags) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: flags,
    isRemote: true,
  });

describe('TailSampler', () => {
  it('at ratio 1 exports every span as it ends, buffering nothing, and names the reason on the root', () => {
    const { sampler, call, exported } = setup({ ratio: 1 });
    call();
    call({ serverError: true });
    expect(sampler.passThrough).toBe(true);
    expect(sampler.bufferedSpans).toBe(0);
    const spans = exported.getFinishedSpans();
    expect(spans).toHaveLength(4);
    expect(
      spans.filter((s) => s.kind === SpanKind.SERVER).map((s) => s.attributes['toolscope.sampling.reason']),
    ).toEqual(['ratio', 'error']);
    expect(sampler.counts()).toEqual([
      { decision: 'kept', reason: 'error', traces: 1 },
      { decision: 'kept', reason: 'ratio', traces: 1 },
    ]);
  });

  it('at ratio 0 drops ordinary calls whole and keeps failed and flagged ones whole, SERVER with CLIENT', () => {
    const { sampler, call, traces } = setup({ ratio: 0 });
    const ordinary = call();
    const clientFailed = call({ clientError: true });
    const serverFailed = call({ serverError: true });
    const flagged = call({ anomaly: true });
    const got = traces();
    expect(got.has(ordinary.traceId)).toBe(false);
    for (const kept of [clientFailed, serverFailed, flagged]) {
      const spans = got.get(kept.traceId) ?? [];
      expect(spans.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT].sort());
    }
    const reasonOf = (id: string) =>
      got.get(id)?.find((s) => s.kind === SpanKind.SERVER)?.attributes['toolscope.sampling.reason'];
    expect(reasonOf(clientFailed.traceId)).toBe('error');
    expect(reasonOf(serverFailed.traceId)).toBe('error');
    expect(reasonOf(flagged.traceId)).toBe('anomaly');
    expect(sampler.bufferedSpans).toBe(0);
    expect(sampler.counts()).toEqual([
      { decision: 'kept', reason: 'error', traces: 2 },
      { decision: 'kept', reason: 'anomaly', traces: 1 },
      { decision: 'dropped', reason: 'ordinary', traces: 1 },
    ]);
  });

  it('hands a kept trace to the exporter only when its root ends, children first', () => {
    const { tracer, exported } = setup({ ratio: 0 });
    const server = tracer.startSpan('tools/call svc_fail', { kind: SpanKind.SERVER });
    const client = tracer.startSpan(
      'tools/call fail',
      { kind: SpanKind.CLIENT },
      trace.setSpan(ROOT_CONTEXT, server),
    );
    client.setStatus({ code: SpanStatusCode.ERROR });
    client.end();
    expect(exported.getFinishedSpans()).toHaveLength(0);
    server.end();
    expect(exported.getFinishedSpans().map((s) => s.kind)).toEqual([SpanKind.CLIENT, SpanKind.SERVER]);
  });

  it('keeps only the classes it is told to', () => {
    const { call, traces } = setup({ ratio: 0, keep: ['anomalies'] });
    const failed = call({ serverError: true });
    const flagged = call({ anomaly: true });
    expect(traces().has(failed.traceId)).toBe(false);
    expect(traces().has(flagged.traceId)).toBe(true);
  });

  it('keeps a call slower than its operation p99, once the operation has a history', () => {
    const { call, traces, sampler } = setup({ ratio: 0, slow: new SlowCallThreshold({ minCalls: 50 }) });
    for (let i = 0; i < 200; i++) call({ durationMs: 10 + (i % 5) });
    const slowOne = call({ durationMs: 200 });
    const otherOperation = call({ durationMs: 200, name: 'tools/call svc_other' });
    const got = traces();
    expect(got.get(slowOne.traceId)?.find((s) => s.kind === SpanKind.SERVER)?.attributes).toMatchObject({
      'toolscope.sampling.reason': 'slow',
    });
    // A first call of an operation has no p99 to be slower than.
    expect(got.has(otherOperation.traceId)).toBe(false);
    expect(sampler.counts()).toContainEqual({ decision: 'kept', reason: 'slow', traces: 1 });
  });

  it('keeps a call whose caller sent a sampled W3C parent, and draws the others', () => {
    const { call, traces } = setup({ ratio: 0 });
    const sampledParent = call({ parent: remoteParent(TraceFlags.SAMPLED) });
    expect(
      traces()
        .get(sampledParent.traceId)
        ?.find((s) => s.kind === SpanKind.SERVER)?.attributes['toolscope.sampling.reason'],
    ).toBe('parent');
  });

  it('draws ordinary traces by trace id, at the ratio within binomial noise', () => {
    const ratio = 0.1;
    const { call, traces } = setup({ ratio, keep: [] });
    const n = 5000;
    const ids = Array.from({ length: n }, () => call().traceId);
    const got = traces();
    const kept = ids.filter((id) => got.has(id));
    const { low, high } = binomialBounds(n, ratio);
    expect(kept.length).toBeGreaterThanOrEqual(low);
    expect(kept.length).toBeLessThanOrEqual(high);
    // The same trace id always draws the same way: a toolscope hop further down keeps the same traces.
    for (const id of ids.slice(0, 200)) expect(winsRatioDraw(id, ratio)).toBe(kept.includes(id));
  });

  it('holds at most bufferSpans, deciding the oldest call early (kept if it already failed)', () => {
    const { sampler, tracer, exported } = setup({ ratio: 0, bufferSpans: 16 });
    const open: Span[] = [];
    const failedRoot = tracer.startSpan('tools/call svc_fail', { kind: SpanKind.SERVER });
    const failedChild = tracer.startSpan('tools/call fail', {}, trace.setSpan(ROOT_CONTEXT, failedRoot));
    failedChild.setStatus({ code: SpanStatusCode.ERROR });
    failedChild.end();
    for (let i = 0; i < 40; i++) {
      const root = tracer.startSpan(`tools/call svc_${i}`, { kind: SpanKind.SERVER });
      open.push(root);
      tracer.startSpan('tools/call echo', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
      expect(sampler.bufferedSpans).toBeLessThanOrEqual(16);
    }
    // The failed call was the oldest: its CLIENT span went out when the buffer filled; its root follows at its end.
    expect(exported.getFinishedSpans().map((s) => s.spanContext().spanId)).toContain(
      failedChild.spanContext().spanId,
    );
    failedRoot.end();
    expect(exported.getFinishedSpans().map((s) => s.spanContext().spanId)).toContain(
      failedRoot.spanContext().spanId,
    );
    for (const root of open) root.end();
    expect(sampler.bufferedSpans).toBe(0);
    const counts = Object.fromEntries(sampler.counts().map((c) => [`${c.decision}/${c.reason}`, c.traces]));
    expect(counts['kept/error']).toBe(1);
    // The failed call and the first 15 filled the buffer; each later call pushed out the oldest undecided one.
    expect(counts['dropped/buffer_full']).toBe(40 - 16);
    expect(counts['dropped/ordinary']).toBe(16);
  });

  it('is the exemplar gate: kept traces at once, undecided ones when their decision comes', () => {
    const { sampler, tracer } = setup({ ratio: 0 });
    const root = tracer.startSpan('tools/call svc_fail', { kind: SpanKind.SERVER });
    const child = tracer.startSpan('tools/call fail', {}, trace.setSpan(ROOT_CONTEXT, root));
    child.end();
    expect(sampler.traceState(child)).toBe(TraceState.Pending);
    const applied: string[] = [];
    sampler.defer(child, () => applied.push('client duration'));
    root.setStatus({ code: SpanStatusCode.ERROR });
    root.end();
    expect(applied).toEqual(['client duration']);
    expect(sampler.traceState(child)).toBe(TraceState.Kept);
    expect(sampler.keptReason(root)).toBe('error');

    const dropped = tracer.startSpan('tools/call svc_echo', { kind: SpanKind.SERVER });
    const droppedChild = tracer.startSpan('tools/call echo', {}, trace.setSpan(ROOT_CONTEXT, dropped));
    droppedChild.end();
    sampler.defer(droppedChild, () => applied.push('never'));
    dropped.end();
    expect(applied).toEqual(['client duration']);
    expect(sampler.traceState(droppedChild)).toBe(TraceState.None);
    expect(sampler.keptReason(dropped)).toBeUndefined();
  });

  it("exports toolscope's own records (a tuning decision), which are not calls, without judging them", () => {
    const exported = new InMemorySpanExporter();
    const sampler = new TailSampler({
      ratio: 0,
      keep: ['errors'],
      bufferSpans: 100,
      next: new SimpleSpanProcessor(exported),
    });
    const provider = new BasicTracerProvider({ spanProcessors: [sampler] });
    provider.getTracer('toolscope').startSpan('toolscope.tuning svc', { kind: SpanKind.INTERNAL }).end();
    provider.getTracer('an-app').startSpan('agent run', { kind: SpanKind.INTERNAL }).end();
    expect(exported.getFinishedSpans().map((s) => s.name)).toEqual(['toolscope.tuning svc']);
    expect(sampler.counts()).toEqual([{ decision: 'dropped', reason: 'ordinary', traces: 1 }]);
  });

  it('exports the late span of a kept trace and drops the late span of a dropped one', () => {
    const { tracer, exported } = setup({ ratio: 0 });
    const kept = tracer.startSpan('tools/call svc_fail', { kind: SpanKind.SERVER });
    const lateKept = tracer.startSpan('tools/call fail', {}, trace.setSpan(ROOT_CONTEXT, kept));
    kept.setStatus({ code: SpanStatusCode.ERROR });
    kept.end();
    lateKept.end();
    const dropped = tracer.startSpan('tools/call svc_echo', { kind: SpanKind.SERVER });
    const lateDropped = tracer.startSpan('tools/call echo', {}, trace.setSpan(ROOT_CONTEXT, dropped));
    dropped.end();
    lateDropped.end();
    const ids = exported.getFinishedSpans().map((s) => s.spanContext().spanId);
    expect(ids).toContain(lateKept.spanContext().spanId);
    expect(ids).not.toContain(lateDropped.spanContext().spanId);
  });
});
