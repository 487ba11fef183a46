export { AsyncCpuAttributor, CallMeter } from './AsyncCpuAttributor.js';
export {
  type ProfilingMode,
  ProfilingStage,
  type ProfilingStageOptions,
  sharedAttributor,
} from './ProfilingStage.js';
