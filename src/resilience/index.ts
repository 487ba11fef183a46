export { type Clock, systemClock, type TimerHandle } from './Clock.js';
export {
  ConcurrencyPool,
  type ConcurrencyPoolOptions,
  MAX_POOL_LIMIT,
  type PoolSnapshot,
} from './ConcurrencyPool.js';
export {
  cancelledError,
  circuitOpenError,
  type OverloadReason,
  overloadedError,
  timeoutError,
} from './executionErrors.js';
export { Listeners } from './Listeners.js';
export type { ResizablePool } from './ResizablePool.js';
export { type QueueEntry, WaitQueue } from './WaitQueue.js';
