import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/Analyzer.js';
import { analysisConfigSchema, analysisOptionsFromConfig } from '../../src/analysis/analysisConfigSchema.js';

describe('analysis config', () => {
  it('accepts an empty section and yields the analyzer defaults', () => {
    const config = analysisConfigSchema.parse({});
    expect(config.enabled).toBe(true);
    const { analyzer, service } = analysisOptionsFromConfig(config);
    expect(new Analyzer(analyzer).options).toMatchObject({
      warmupCalls: 100,
      windowSize: 1024,
      forestTrees: 100,
    });
    expect(service).toEqual({ maintainIntervalMs: undefined, snapshotIntervalMs: undefined });
  });

  it('passes tuning through to the analyzer', () => {
    const config = analysisConfigSchema.parse({
      stateDir: '.toolscope/state',
      warmupCalls: 30,
      effectWindow: 16,
      materiality: { latency: { ratio: 1.5 } },
      forest: { trees: 50, retrainMs: 30_000 },
      maintainIntervalMs: 500,
    });
    const { analyzer, service } = analysisOptionsFromConfig(config);
    expect(new Analyzer(analyzer).options).toMatchObject({
      warmupCalls: 30,
      effectWindow: 16,
      materiality: { latency: { ratio: 1.5 } },
      forestTrees: 50,
      forestRetrainMs: 30_000,
    });
    expect(service.maintainIntervalMs).toBe(500);
  });

  it('refuses impossible values with the path of the field', () => {
    const paths = (v: unknown) =>
      analysisConfigSchema.safeParse(v).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ materiality: { latency: { ratio: 0.5 } } })).toEqual(['materiality.latency.ratio']);
    expect(paths({ forest: { sampleSize: 1 } })).toEqual(['forest.sampleSize']);
    expect(paths({ materiality: { nope: {} } })).toEqual(['materiality']);
    expect(paths({ windowSize: 8 })).toEqual(['windowSize']);
  });
});
