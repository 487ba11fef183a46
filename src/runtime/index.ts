export { AnalysisWiring, type AnalysisWiringOptions, type RestoredState } from './AnalysisWiring.js';
export { CallDrain, type DrainResult } from './CallDrain.js';
export {
  type InProcessPipeline,
  InProcessRuntime,
  type InProcessRuntimeOptions,
} from './InProcessRuntime.js';
export { downstreamNetwork, upstreamNetwork } from './networkInfo.js';
export { type RuntimeOptions, ToolscopeRuntime } from './ToolscopeRuntime.js';
export { TuningWiring, type TuningWiringOptions } from './TuningWiring.js';
