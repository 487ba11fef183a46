import { Analyzer, type AnalyzerOptions, type Verdict } from '../../src/analysis/index.js';
import type { CallObservation } from '../../src/pipeline/index.js';

/**
 * Runs `calls` through a fresh analyzer in their own (simulated) time, with maintenance once a
 * second, and returns the verdicts of the calls that reached the tool.
 */
export function judgeStream(
  calls: readonly CallObservation[],
  options: AnalyzerOptions & { readonly t0: number },
): { analyzer: Analyzer; verdicts: Verdict[] } {
  const { t0, ...rest } = options;
  const analyzer = new Analyzer({ seed: 7, clock: () => t0, ...rest });
  const verdicts: Verdict[] = [];
  let nextMaintenance = t0;
  for (const c of calls) {
    if (c.startTime >= nextMaintenance) {
      analyzer.maintain(c.startTime);
      nextMaintenance += 1000;
    }
    const v = analyzer.observe(c);
    if (v !== undefined) verdicts.push(v);
  }
  return { analyzer, verdicts };
}
