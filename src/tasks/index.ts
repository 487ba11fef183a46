export { type TaskEndReason, TaskLifecycle } from './TaskLifecycle.js';
export {
  TaskCursorError,
  type TaskEntry,
  TaskRegistry,
  type TaskRegistryOptions,
  type TaskTransition,
} from './TaskRegistry.js';
export {
  TASK_METHODS,
  type TaskRequestContext,
  TaskRouter,
  type TaskRouterOptions,
  type TaskUpstream,
} from './TaskRouter.js';
export {
  createdTask,
  isTaskRequest,
  isTerminal,
  RELATED_TASK,
  readTask,
  relatedTaskId,
  supportsTaskCalls,
  supportsTaskList,
  type TaskSnapshot,
  type TaskStatus,
  toolsAsServed,
  withRelatedTask,
  withTaskId,
} from './taskMessages.js';
