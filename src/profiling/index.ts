export { AsyncCpuAttributor, CallMeter } from './AsyncCpuAttributor.js';
export { CaptureRateLimiter, type CaptureRateLimits, type CaptureRefusal } from './CaptureRateLimiter.js';
export {
  CaptureRefusedError,
  type CaptureRequest,
  CpuProfileCapture,
  type CpuProfileCaptureOptions,
  type HeapCaptureResult,
  type ProfileCaptureResult,
} from './CpuProfileCapture.js';
export { createProfiling, type Profiling, type ProfilingHost } from './createProfiling.js';
export { EventLoopLagSampler, type LagWindow } from './EventLoopLagSampler.js';
export { GcObserver } from './GcObserver.js';
export { GcOverlapTracker } from './GcOverlapTracker.js';
export {
  bytesBySite,
  type HeapSite,
  heapSites,
  type SamplingHeapNode,
  type SamplingHeapProfile,
} from './heapSites.js';
export { type InFlightMark, InFlightWindow } from './InFlightWindow.js';
export { LinuxProcReader, type ProcReader } from './ProcReader.js';
export {
  type DirectoryLimits,
  PROFILE_EXTENSIONS,
  ProfileDirectory,
  type ProfileFile,
  planEviction,
  profileFileName,
} from './ProfileDirectory.js';
export {
  type ProfilingMode,
  ProfilingStage,
  type ProfilingStageOptions,
  sharedAttributor,
} from './ProfilingStage.js';
export {
  childrenIndex,
  descendants,
  inferPageSize,
  type ProcCpu,
  type ProcStat,
  parseChildren,
  parseProcStat,
  sumTree,
  type TreeDelta,
  type TreeSample,
  treeDelta,
  USER_HZ,
  utilization,
} from './procfs.js';
export { type ProfilingConfig, profilingConfigSchema } from './profilingConfig.js';
export {
  type CallFrame,
  type CpuProfile,
  type CpuProfileNode,
  type TopFunction,
  topFunctions,
} from './topFunctions.js';
export {
  type ProcessLocator,
  type UpstreamCallFigures,
  type UpstreamCallMark,
  UpstreamProcessSampler,
  type UpstreamProcessSamplerOptions,
  type UpstreamProcessStats,
} from './UpstreamProcessSampler.js';
