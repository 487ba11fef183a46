export { AdmitStage, type AdmitStageOptions } from './AdmitStage.js';
export { abortableDelay } from './abortableDelay.js';
export { BreakerRegistry } from './BreakerRegistry.js';
export { backoffDelayMs } from './backoff.js';
export {
  type BreakerPermit,
  type BreakerScope,
  type BreakerSettings,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerStateChange,
  type BreakerTransitionReason,
  CircuitBreaker,
  PERMIT_DENIED,
  PERMIT_NORMAL,
  PERMIT_PROBE,
} from './CircuitBreaker.js';
export { type Clock, systemClock, type TimerHandle } from './Clock.js';
export {
  ConcurrencyPool,
  type ConcurrencyPoolOptions,
  MAX_POOL_LIMIT,
  type PoolSnapshot,
  type QueueOrder,
} from './ConcurrencyPool.js';
export {
  createExecutionControl,
  type ExecutionControl,
  type ExecutionControlOptions,
  type ExecutionControlStatus,
} from './ExecutionControl.js';
export { type BreakerVerdict, breakerVerdict, isRetryableError } from './errorRules.js';
export {
  cancelledError,
  circuitOpenError,
  type OverloadReason,
  overloadedError,
  timeoutError,
} from './executionErrors.js';
export {
  FALLBACK_EXTENSION,
  type FallbackEvent,
  GuardStage,
  type GuardStageOptions,
  type RetryEvent,
} from './GuardStage.js';
export { Listeners } from './Listeners.js';
export { PolicyResolver, type ToolPolicy } from './PolicyResolver.js';
export { PoolRegistry } from './PoolRegistry.js';
export type { ResizablePool } from './ResizablePool.js';
export { RollingWindow } from './RollingWindow.js';
export {
  type ResilienceConfig,
  type ResilienceConfigInput,
  resilienceConfigSchema,
  resilienceDefaultsSchema,
  type ServicePolicyConfig,
  servicePolicySchema,
  type ToolPolicyConfig,
  toolPolicySchema,
} from './resilienceConfigSchema.js';
export { runAttempt } from './runAttempt.js';
export {
  type PoolSettings,
  type RetrySettings,
  resolveServiceBreaker,
  resolveServicePool,
  resolveToolSettings,
  type ToolHints,
  type ToolSettings,
} from './ToolSettings.js';
export { type QueueEntry, WaitQueue } from './WaitQueue.js';
