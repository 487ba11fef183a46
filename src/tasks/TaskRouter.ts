import { type Context, diag, type Meter, type Tracer, trace } from '@opentelemetry/api';
import { JsonRpcCode, ToolscopeError, UpstreamRpcError } from '../pipeline/index.js';
import { TaskLifecycle } from './TaskLifecycle.js';
import { TaskCursorError, type TaskEntry, TaskRegistry, type TaskRegistryOptions } from './TaskRegistry.js';
import {
  createdTask,
  isTerminal,
  readTask,
  relatedTaskId,
  supportsTaskCalls,
  withRelatedTask,
  withTaskId,
} from './taskMessages.js';

/** What the router needs of an upstream service (the gateway's `Upstream`). */
export interface TaskUpstream {
  readonly capabilities: Record<string, unknown>;
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options?: { signal?: AbortSignal | undefined; context?: Context | undefined },
  ): Promise<Record<string, unknown>>;
}

/** The caller's side of a `tasks/*` request. */
export interface TaskRequestContext {
  readonly signal: AbortSignal;
  /** The request's SERVER span context (the upstream request continues it). */
  readonly traceContext: Context | undefined;
}

export interface TaskRouterOptions {
  readonly upstreams: ReadonlyMap<string, TaskUpstream>;
  /**
   * The connection an owner's tasks on a service live on (a client session's own upstream
   * session). @default the service's entry in `upstreams`
   */
  readonly upstreamFor?: ((service: string, ownerId: string) => TaskUpstream | undefined) | undefined;
  /** Lifecycle spans. @default the global tracer "toolscope" */
  readonly tracer?: Tracer | undefined;
  /** `toolscope.task.duration`. */
  readonly meter?: Meter | undefined;
  readonly registry?: TaskRegistryOptions;
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
  /** How often expired tasks are forgotten, ms. @default 30000 */
  readonly sweepIntervalMs?: number;
}

/** The `tasks/*` methods the gateway serves. */
export const TASK_METHODS: ReadonlySet<string> = new Set([
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
]);

/**
 * Task-augmented calls through the gateway (MCP 2025-11-25 tasks). A
 * `tools/call` with `params.task` goes through the pipeline to its service as
 * usual; the task the service creates is registered under a fresh, unguessable
 * id bound to the caller's scope, and `tasks/get|result|cancel` are routed to
 * that service under the task's own id there, their answers (and status
 * notifications, and requests tied to the task) carrying the caller's id.
 * `tasks/list` answers the caller's tasks from the registry, refreshed from
 * their services. Each task's lifecycle is traced by {@link TaskLifecycle}.
 */
export class TaskRouter {
  readonly registry: TaskRegistry;
  readonly #upstreamFor: (service: string, ownerId: string) => TaskUpstream | undefined;
  readonly #lifecycle: TaskLifecycle;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: TaskRouterOptions) {
    const upstreams = options.upstreams;
    this.#upstreamFor = options.upstreamFor ?? ((service) => upstreams.get(service));
    this.registry = new TaskRegistry(options.registry);
    this.#lifecycle = new TaskLifecycle(options.tracer ?? trace.getTracer('toolscope'), options.meter);
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.#sweeper.unref();
  }

  /** Refuse a task-augmented call to a service that cannot run tasks (-32601, as MCP asks). */
  assertAugmentable(service: string, exposedName: string, ownerId: string): void {
    const upstream = this.#upstreamFor(service, ownerId);
    if (upstream && supportsTaskCalls(upstream.capabilities)) return;
    throw new ToolscopeError(
      'invalid_params',
      JsonRpcCode.MethodNotFound,
      `Tool "${exposedName}" does not support task-augmented execution (its service does not offer tasks)`,
    );
  }

  /**
   * Register the task a task-augmented call created and answer with the
   * caller's id for it. `origin` is the call's SERVER span context.
   */
  created(
    scopeId: string,
    tool: { service: string; tool: string; exposedName: string },
    result: Record<string, unknown>,
    origin: Context | undefined,
  ): Record<string, unknown> {
    const task = createdTask(result);
    if (!task) {
      // Refused before it reached the service (invalid arguments): a protocol error, not a task.
      if (result.isError === true)
        throw new ToolscopeError('invalid_params', JsonRpcCode.InvalidParams, textOf(result));
      diag.debug(`toolscope: ${tool.service} answered a task-augmented call without creating a task`);
      return result;
    }
    const now = this.#now();
    const { entry, evicted } = this.registry.add(
      { ...tool, scopeId, task },
      result.task as Record<string, unknown>,
      now,
    );
    for (const old of evicted) this.#lifecycle.abandoned(old, 'evicted', now);
    this.#lifecycle.started(entry, origin);
    return { ...result, task: entry.last };
  }

  /** Answer one of {@link TASK_METHODS} for a caller in `scopeId`. */
  async handle(
    method: string,
    params: Record<string, unknown>,
    scopeId: string,
    context: TaskRequestContext,
  ): Promise<Record<string, unknown>> {
    if (method === 'tasks/list') return this.#list(params, scopeId, context);
    const entry = this.#entry(params, scopeId);
    const upstream = this.#upstream(entry);
    const options = { signal: context.signal, context: context.traceContext };
    const forwarded = { ...params, taskId: entry.upstreamId };
    try {
      switch (method) {
        case 'tasks/get':
        case 'tasks/cancel': {
          const result = await upstream.request(method, forwarded, options);
          this.#observe(entry, result);
          return withTaskId(result, entry.id);
        }
        case 'tasks/result': {
          const result = await upstream.request(method, forwarded, options);
          void this.#refresh(entry);
          return withRelatedTask(result, entry.id);
        }
        default:
          throw new ToolscopeError('internal', JsonRpcCode.MethodNotFound, `Method not found: ${method}`);
      }
    } catch (error) {
      if (method === 'tasks/result') void this.#refresh(entry);
      throw renamed(error, entry);
    }
  }

  /** A `notifications/tasks/status` from `service`: for the scope that owns the task, with its id; else drop. */
  statusNotification(
    service: string,
    params: Record<string, unknown> | undefined,
  ): { scopeId: string; params: Record<string, unknown> } | undefined {
    const task = readTask(params);
    if (!task || !params) return undefined;
    const entry = this.registry.byUpstream(service, task.taskId);
    if (!entry) return undefined;
    this.#observe(entry, params);
    return { scopeId: entry.scopeId, params: withTaskId(params, entry.id) };
  }

  /**
   * A request from `service` tied to one of its tasks (`_meta` related-task, e.g.
   * an elicitation while the task is `input_required`): for the owning scope,
   * with the caller's task id. `undefined` when it is tied to no known task.
   */
  relatedRequest(
    service: string,
    params: Record<string, unknown> | undefined,
  ): { scopeId: string; params: Record<string, unknown> } | undefined {
    const upstreamId = relatedTaskId(params);
    if (upstreamId === undefined || !params) return undefined;
    const entry = this.registry.byUpstream(service, upstreamId);
    if (!entry) return undefined;
    return { scopeId: entry.scopeId, params: withRelatedTask(params, entry.id) };
  }

  /** Forget expired tasks (ending their spans). */
  sweep(): void {
    const now = this.#now();
    for (const entry of this.registry.sweep(now)) this.#lifecycle.abandoned(entry, 'expired', now);
  }

  /** End every open lifecycle span and stop sweeping. */
  stop(): void {
    clearInterval(this.#sweeper);
    const now = this.#now();
    for (const entry of this.registry.entries()) this.#lifecycle.abandoned(entry, 'shutdown', now);
  }

  async #list(
    params: Record<string, unknown>,
    scopeId: string,
    context: TaskRequestContext,
  ): Promise<Record<string, unknown>> {
    let page: ReturnType<TaskRegistry['page']>;
    try {
      page = this.registry.page(scopeId, typeof params.cursor === 'string' ? params.cursor : undefined);
    } catch (error) {
      if (error instanceof TaskCursorError)
        throw new ToolscopeError('invalid_params', JsonRpcCode.InvalidParams, error.message);
      throw error;
    }
    // Statuses move on the services: refresh the unfinished ones on this page (in parallel, errors ignored).
    await Promise.all(
      page.entries.filter((entry) => !isTerminal(entry.status)).map((entry) => this.#refresh(entry, context)),
    );
    const result: Record<string, unknown> = { tasks: page.entries.map((entry) => entry.last) };
    if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
    return result;
  }

  #entry(params: Record<string, unknown>, scopeId: string): TaskEntry {
    const id = params.taskId;
    const entry = typeof id === 'string' ? this.registry.get(id, scopeId) : undefined;
    if (!entry)
      throw new ToolscopeError(
        'invalid_params',
        JsonRpcCode.InvalidParams,
        'Failed to retrieve task: Task not found',
      );
    return entry;
  }

  #upstream(entry: TaskEntry): TaskUpstream {
    const upstream = this.#upstreamFor(entry.service, entry.scopeId);
    if (!upstream) {
      throw new ToolscopeError(
        'upstream_unavailable',
        JsonRpcCode.ServerError,
        `unknown service "${entry.service}"`,
      );
    }
    return upstream;
  }

  /** Ask the service for the task's status now (after `tasks/result`, for `tasks/list`); never throws. */
  async #refresh(entry: TaskEntry, context?: TaskRequestContext): Promise<void> {
    try {
      const result = await this.#upstream(entry).request(
        'tasks/get',
        { taskId: entry.upstreamId },
        { signal: context?.signal, context: context?.traceContext },
      );
      this.#observe(entry, result);
    } catch (error) {
      diag.debug(`toolscope: task ${entry.id} status refresh failed: ${String(error)}`);
    }
  }

  #observe(entry: TaskEntry, raw: Record<string, unknown>): void {
    const task = readTask(raw);
    if (!task) return;
    const transition = this.registry.update(entry, task, raw, this.#now());
    if (transition) this.#lifecycle.changed(entry, transition);
  }
}

/** An upstream's error about a task, with the upstream's task id replaced by the caller's. */
function renamed(error: unknown, entry: TaskEntry): unknown {
  if (error instanceof UpstreamRpcError && error.message.includes(entry.upstreamId))
    return new UpstreamRpcError(error.code, error.message.split(entry.upstreamId).join(entry.id), error.data);
  return error;
}

function textOf(result: Record<string, unknown>): string {
  const content = Array.isArray(result.content) ? result.content : [];
  const text = content
    .map((item) => (item as { text?: unknown }).text)
    .filter((item): item is string => typeof item === 'string');
  return text.join('\n') || 'the task could not be created';
}
