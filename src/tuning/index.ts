/**
 * Tuning: concurrency controllers and the adaptive resource manager that resizes the pools
 * `admit` uses, from observations, verdicts and host signals. See README.md for the model,
 * the benchmark and the wiring.
 */
export {
  AdaptiveResourceManager,
  type AdaptiveResourceManagerOptions,
  type HostSignal,
  type PoolSource,
  type RegisterPoolOptions,
} from './AdaptiveResourceManager.js';
export { type DemandForecast, DemandPredictor, type DemandPredictorOptions } from './DemandPredictor.js';
export type { WindowStats } from './LatencyWindow.js';
export type { LimitController, LimitSample, SampleOutcome } from './LimitController.js';
export {
  type LoadPattern,
  LoadPatternClassifier,
  type LoadPatternClassifierOptions,
  type LoadProfile,
} from './LoadPatternClassifier.js';
export { observationToSample } from './observationToSample.js';
export {
  type CongestionSignal,
  type LimitAdjustment,
  type LoadJudgement,
  PoolController,
  type PoolControllerState,
  stepResponse,
} from './PoolController.js';
export {
  type PoolControllerOptions,
  type ResolvedPoolControllerOptions,
  resolvePoolControllerOptions,
} from './PoolControllerOptions.js';
// ── testing aids: the discrete-event simulator, its scenarios, the oracle and the baselines ──
export { AimdLimit, type AimdLimitOptions } from './simulation/baselines/AimdLimit.js';
export {
  EnvoyGradientLimit,
  type EnvoyGradientLimitOptions,
} from './simulation/baselines/EnvoyGradientLimit.js';
export { type ControllerScore, SETTLE_HOLD_MS, scoreController } from './simulation/ControllerScore.js';
export {
  type IncidentScenarioOptions,
  incidentScenario,
  LOAD_FACTOR,
  type LoadLevel,
} from './simulation/IncidentScenario.js';
export {
  defaultSweep,
  type Oracle,
  type PhaseOracle,
  phaseIntervals,
  scheduledLimit,
  sweepOracle,
  TARGETS,
} from './simulation/OracleSweep.js';
export {
  CallFate,
  type SimResult,
  scheduleBursts,
  simulatePool,
  staticLimit,
} from './simulation/PoolSimulation.js';
export { SeededRandom } from './simulation/SeededRandom.js';
export {
  fractionInBand,
  goodLatencies,
  meanLimit,
  percentileSorted,
  type SimSummary,
  settleTimeMs,
  summarize,
} from './simulation/SimMetrics.js';
export type { CapacityPhase, NoiseBurst, NoiseBursts, SimScenario } from './simulation/SimScenario.js';
export {
  type TuningDecision,
  type TuningDecisionListener,
  type TuningDirection,
  type TuningEvidence,
  type TuningReason,
  tuningDecisionAttributes,
} from './TuningDecision.js';
export {
  describeDecision,
  describeJudgement,
  type PoolTuningStatus,
  type TuningStatus,
} from './TuningStatus.js';
export {
  DEFAULT_TUNING_CONFIG,
  type PoolTuningConfig,
  poolTuningSchema,
  type ResolvedPoolTuning,
  resolvePoolTuning,
  type TuningConfig,
  tuningConfigSchema,
} from './tuningConfigSchema.js';
