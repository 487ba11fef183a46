/**
 * analysis/: per-tool baselines, an isolation forest and temporal evidence turn
 * every CallObservation into a Verdict. Pure cores (`Analyzer`, `IsolationForest`)
 * plus a thin shell (`AnalyzerService`) and a state store for persistence.
 */

export { Analyzer, type AnalyzerSnapshot, type ToolAnalysisStatus, type ToolLoadStatus } from './Analyzer.js';
export type {
  AnalyzerOptions,
  MaterialityOverride,
  ResolvedAnalyzerOptions,
  ToolSlo,
} from './AnalyzerOptions.js';
export {
  AnalyzerService,
  type AnalyzerServiceOptions,
  type MaintenanceStats,
  type ServiceTimers,
} from './AnalyzerService.js';
export {
  type AnalysisConfig,
  analysisConfigSchema,
  analysisOptionsFromConfig,
} from './analysisConfigSchema.js';
export { FEATURES } from './Features.js';
export { FileStateStore, type StateStore } from './FileStateStore.js';
export {
  averagePathLength,
  IsolationForest,
  type IsolationForestData,
  type IsolationForestOptions,
} from './IsolationForest.js';
export { IsolationForestBuilder } from './IsolationForestBuilder.js';
export { createRandom, deriveSeed, type RandomSource } from './Random.js';
export type {
  Detector,
  FeatureDeviation,
  FeatureName,
  Severity,
  Verdict,
  VerdictClass,
  VerdictObserver,
} from './Verdict.js';
