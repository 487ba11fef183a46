import type { TraceSource } from './StatusHost.js';
import type { TraceLink } from './StatusSnapshot.js';

/**
 * Finds the kept traces of a subject (a tool, or every tool of a service) between
 * two times, as links; none when traces are not exported.
 */
export function traceLinker(
  source: TraceSource | undefined,
  now: number,
): (subject: { service: string; tool: string | undefined }, from: number, to: number) => TraceLink[] {
  if (!source) return () => [];
  const base = source.jaegerUrl?.replace(/\/+$/, '');
  return (subject, from, to) =>
    source.kept
      .find({ service: subject.service, tool: subject.tool, from, to: Math.min(to, now) })
      .map((kept) => {
        const link: TraceLink = {
          traceId: kept.traceId,
          reason: kept.reason,
          time: kept.time,
          durationMs: kept.durationMs,
          key: `${kept.service}/${kept.tool}`,
        };
        if (base) link.url = `${base}/trace/${kept.traceId}`;
        return link;
      });
}
