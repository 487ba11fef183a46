import { ROOT_CONTEXT, type Span, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { traceLinker } from '../../src/dashboard/traceLinks.js';
import { type KeepReason, KeptTraceLog } from '../../src/telemetry/index.js';
import { observation } from './observation.js';
import { NOW } from './statusFixture.js';

/** Calls whose traces were kept (or not) for a reason, as the tail sampler would say. */
function logOf(calls: Array<{ key: string; at: number; reason: KeepReason | undefined }>) {
  const reasons = new Map<Span, KeepReason | undefined>();
  const log = new KeptTraceLog({ keptReason: (span) => reasons.get(span) });
  calls.forEach(({ key, at, reason }, i) => {
    const span = trace.wrapSpanContext({
      traceId: i.toString(16).padStart(32, '0'),
      spanId: i.toString(16).padStart(16, '1'),
      traceFlags: TraceFlags.SAMPLED,
    });
    reasons.set(span, reason);
    log.onObservation(observation(key, at + 10, { traceContext: trace.setSpan(ROOT_CONTEXT, span) }));
  });
  return log;
}

const id = (i: number) => i.toString(16).padStart(32, '0');

describe('links from incidents to their kept traces', () => {
  const log = logOf([
    { key: 'storage/fetch', at: NOW - 60_000, reason: 'anomaly' }, // an earlier incident
    { key: 'storage/fetch', at: NOW - 10_000, reason: 'ratio' },
    { key: 'storage/fetch', at: NOW - 9_000, reason: undefined }, // dropped: never listed
    { key: 'storage/fetch', at: NOW - 8_000, reason: 'slow' },
    { key: 'storage/fetch', at: NOW - 7_000, reason: 'anomaly' },
    { key: 'storage/list', at: NOW - 6_000, reason: 'error' },
    { key: 'lookup/city', at: NOW - 6_000, reason: 'error' },
  ]);

  it("gives a tool's incident the traces of its calls in the window, telling ones first, earliest first", () => {
    const links = traceLinker({ kept: log, jaegerUrl: 'http://jaeger:16686/' }, NOW)(
      { service: 'storage', tool: 'fetch' },
      NOW - 20_000,
      NOW,
    );
    expect(links.map((l) => [l.traceId, l.reason])).toEqual([
      [id(3), 'slow'],
      [id(4), 'anomaly'],
      [id(1), 'ratio'],
    ]);
    expect(links[0]).toMatchObject({ key: 'storage/fetch', url: `http://jaeger:16686/trace/${id(3)}` });
  });

  it("gives a service's alert the traces of all its tools, and no URL without Jaeger", () => {
    const links = traceLinker({ kept: log }, NOW)({ service: 'storage', tool: undefined }, NOW - 20_000, NOW);
    expect(links.map((l) => l.key)).toEqual([
      'storage/fetch',
      'storage/fetch',
      'storage/list',
      'storage/fetch',
    ]);
    expect(links.every((l) => l.url === undefined)).toBe(true);
  });

  it('lists nothing when traces are not exported', () => {
    expect(traceLinker(undefined, NOW)({ service: 'storage', tool: 'fetch' }, 0, NOW)).toEqual([]);
  });

  it('keeps a bounded number per tool, so ordinary traffic does not push out an incident', () => {
    const calls: Array<{ key: string; at: number; reason: KeepReason }> = [
      { key: 'a/b', at: NOW - 100_000, reason: 'error' },
    ];
    for (let i = 0; i < 500; i++) calls.push({ key: 'a/b', at: NOW - 50_000 + i, reason: 'ratio' });
    const links = logOf(calls).find({ service: 'a', tool: 'b', from: 0, to: NOW, limit: 100 });
    expect(links[0]).toMatchObject({ reason: 'error', traceId: id(0) });
    expect(links.length).toBe(1 + 8);
  });
});
