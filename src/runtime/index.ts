export { AnalysisWiring, type AnalysisWiringOptions } from './AnalysisWiring.js';
export { downstreamNetwork, upstreamNetwork } from './networkInfo.js';
export { type RuntimeOptions, ToolscopeRuntime } from './ToolscopeRuntime.js';
export { TuningWiring, type TuningWiringOptions } from './TuningWiring.js';
