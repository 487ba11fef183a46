/** Statuses of an MCP task (2025-11-25). */
export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

const STATUSES: ReadonlySet<string> = new Set([
  'working',
  'input_required',
  'completed',
  'failed',
  'cancelled',
]);
const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

/** `_meta` key that ties requests, notifications and `tasks/result` answers to a task. */
export const RELATED_TASK = 'io.modelcontextprotocol/related-task' as const;

/** The fields of a `Task` the gateway reads (the object itself is passed on whole). */
export interface TaskSnapshot {
  readonly taskId: string;
  readonly status: TaskStatus;
  /** Epoch ms, when the receiver said. */
  readonly createdAt: number | undefined;
  readonly lastUpdatedAt: number | undefined;
  /** Retention from creation, ms; `null` for unlimited; `undefined` when not said. */
  readonly ttl: number | null | undefined;
}

/** Completed, failed and cancelled tasks never change again. */
export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL.has(status);
}

/** Read a `Task` object (a `tasks/get` result, a `notifications/tasks/status` params, a list item). */
export function readTask(value: unknown): TaskSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const task = value as Record<string, unknown>;
  if (typeof task.taskId !== 'string' || typeof task.status !== 'string' || !STATUSES.has(task.status))
    return undefined;
  return {
    taskId: task.taskId,
    status: task.status as TaskStatus,
    createdAt: parseTime(task.createdAt),
    lastUpdatedAt: parseTime(task.lastUpdatedAt),
    ttl: task.ttl === null ? null : typeof task.ttl === 'number' ? task.ttl : undefined,
  };
}

/** The `task` of a `CreateTaskResult`, when `result` is one. */
export function createdTask(result: Record<string, unknown>): TaskSnapshot | undefined {
  return readTask(result.task);
}

/** A shallow copy of `task` with another `taskId` (everything else passed on as the receiver sent it). */
export function withTaskId<T extends Record<string, unknown>>(task: T, taskId: string): T {
  return { ...task, taskId };
}

/** A copy of a message's params or result with `_meta[related-task].taskId` replaced, when present. */
export function withRelatedTask<T extends Record<string, unknown>>(value: T, taskId: string): T {
  const meta = value._meta as Record<string, unknown> | undefined;
  const related = meta?.[RELATED_TASK];
  if (typeof related !== 'object' || related === null) return value;
  return { ...value, _meta: { ...meta, [RELATED_TASK]: { ...related, taskId } } };
}

/** `_meta[related-task].taskId` of a message, when present. */
export function relatedTaskId(value: Record<string, unknown> | undefined): string | undefined {
  const related = (value?._meta as Record<string, unknown> | undefined)?.[RELATED_TASK];
  const id = (related as { taskId?: unknown } | undefined)?.taskId;
  return typeof id === 'string' ? id : undefined;
}

/** A `tools/call` asking for task execution (`params.task` is an object). */
export function isTaskRequest(params: Record<string, unknown>): boolean {
  return typeof params.task === 'object' && params.task !== null;
}

/** The upstream declared `tasks.requests.tools.call`: its tools may run as tasks. */
export function supportsTaskCalls(capabilities: Record<string, unknown>): boolean {
  const tasks = capabilities.tasks as { requests?: { tools?: { call?: unknown } } } | undefined;
  return tasks?.requests?.tools?.call !== undefined;
}

/** The upstream declared `tasks.list`. */
export function supportsTaskList(capabilities: Record<string, unknown>): boolean {
  return (capabilities.tasks as { list?: unknown } | undefined)?.list !== undefined;
}

/**
 * The tools of a service as the gateway serves them: a service that cannot run
 * tasks has its tools' `execution.taskSupport` set to `forbidden`, so a client never asks
 * the gateway (which declares tasks for everyone) for a task that service could
 * not create. Returns `tools` itself when nothing changes.
 */
export function toolsAsServed<T extends Record<string, unknown>>(
  tools: readonly T[],
  capabilities: Record<string, unknown>,
): readonly T[] {
  if (supportsTaskCalls(capabilities)) return tools;
  if (!tools.some((tool) => hasTaskSupport(tool))) return tools;
  return tools.map((tool) => {
    if (!hasTaskSupport(tool)) return tool;
    return {
      ...tool,
      execution: { ...(tool.execution as Record<string, unknown>), taskSupport: 'forbidden' },
    };
  });
}

/** `optional` or `required` (`forbidden`, the SDK's default, is true of every service). */
function hasTaskSupport(tool: Record<string, unknown>): boolean {
  const support = (tool.execution as Record<string, unknown> | undefined)?.taskSupport;
  return support === 'optional' || support === 'required';
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
