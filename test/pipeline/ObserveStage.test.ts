import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  type CallObservation,
  ExecuteStage,
  ObserveStage,
  Pipeline,
  type ResolvedTool,
  type ToolResult,
} from '../../src/pipeline/index.js';

/** A pipeline of observe → execute around one tool that answers at once. */
function pipelineWith(observe: ObserveStage) {
  const tool = {
    ref: { service: 'svc', tool: 'echo', key: 'svc/echo' },
    executor: { kind: 'in_process', execute: async (): Promise<ToolResult> => ({ content: [] }) },
  } as unknown as ResolvedTool;
  const pipeline = new Pipeline({ resolve: () => tool }, [observe, new ExecuteStage()]);
  return (context?: Context) =>
    pipeline.call({
      context,
      name: 'echo',
      params: { name: 'echo', arguments: {} },
      agent: undefined,
      signal: new AbortController().signal,
      inputBytes: 10,
      progress: undefined,
    });
}

describe('ObserveStage', () => {
  it('hands every observer the observation before the answer, by default', async () => {
    const observe = new ObserveStage();
    const seen: CallObservation[] = [];
    observe.subscribe({ onObservation: (o) => seen.push(o) });
    await pipelineWith(observe)();
    expect(seen.map((o) => [o.ref.key, o.outcome])).toEqual([['svc/echo', 'success']]);
  });

  it('deferred: answers first, then delivers the batch on the next turn; before-answer observers see it at once', async () => {
    const observe = new ObserveStage({ deferred: true });
    const later: string[] = [];
    const before: string[] = [];
    observe.subscribe({ onObservation: (o) => later.push(o.ref.key) });
    observe.subscribe({ onObservation: (o) => before.push(o.ref.key) }, { beforeAnswer: 'always' });
    const call = pipelineWith(observe);
    await Promise.all([call(), call()]);
    expect(before).toEqual(['svc/echo', 'svc/echo']);
    expect(later).toEqual([]);
    await nextTurn();
    expect(later).toEqual(['svc/echo', 'svc/echo']);
    // Each observer sees each call once.
    expect(before).toHaveLength(2);
  });

  it('deferred, when-traced: before the answer for a call whose span is recorded, after it otherwise', async () => {
    const observe = new ObserveStage({ deferred: true });
    const seen: string[] = [];
    observe.subscribe(
      { onObservation: (o) => seen.push(o.traceContext ? 'traced' : 'untraced') },
      { beforeAnswer: 'when-traced' },
    );
    const span = new BasicTracerProvider().getTracer('test').startSpan('tools/call echo');
    const call = pipelineWith(observe);
    await call(trace.setSpan(ROOT_CONTEXT, span));
    await call();
    expect(seen).toEqual(['traced']);
    await nextTurn();
    expect(seen).toEqual(['traced', 'untraced']);
    span.end();
  });

  it('deferred: flush() delivers what is pending now (a stop reads it before exporting)', async () => {
    const observe = new ObserveStage({ deferred: true });
    const later: string[] = [];
    observe.subscribe({ onObservation: (o) => later.push(o.outcome) });
    await pipelineWith(observe)();
    observe.flush();
    expect(later).toEqual(['success']);
    await nextTurn();
    expect(later).toEqual(['success']);
  });
});
