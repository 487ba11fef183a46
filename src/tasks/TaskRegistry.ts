import { randomUUID } from 'node:crypto';
import { isTerminal, type TaskSnapshot, type TaskStatus } from './taskMessages.js';

/** One task created through the gateway: who may see it, where it runs, what was last seen of it. */
export interface TaskEntry {
  /** The id the caller sees (the gateway's own, unguessable). */
  readonly id: string;
  readonly service: string;
  /** The id on the upstream service. */
  readonly upstreamId: string;
  /** The scope (store or agent) that created it: only that scope can see it. */
  readonly scopeId: string;
  /** The tool's name on its service, and as the caller called it. */
  readonly tool: string;
  readonly exposedName: string;
  /** Epoch ms. */
  readonly createdAt: number;
  status: TaskStatus;
  /** Epoch ms of the last status change seen. */
  lastUpdatedAt: number;
  /** The last `Task` object the upstream sent, with the gateway's id (what `tasks/list` answers). */
  last: Record<string, unknown>;
  /** Epoch ms after which the mapping is dropped (the task's ttl, capped). */
  readonly expiresAt: number;
  /** The lifecycle tracer's state (its span). */
  trace: unknown;
}

/** A status change the registry saw. */
export interface TaskTransition {
  readonly from: TaskStatus;
  readonly to: TaskStatus;
  /** Epoch ms of the change (the receiver's `lastUpdatedAt`, else when it was seen). */
  readonly at: number;
}

export interface TaskRegistryOptions {
  /** Tasks remembered at most; the oldest go first. @default 10000 */
  maxTasks?: number;
  /** Longest a mapping is kept, ms, whatever the task's ttl (also for `ttl: null`). @default 86400000 (24 h) */
  maxTtlMs?: number;
  /** Page size of `tasks/list`. @default 100 */
  pageSize?: number;
  /** Task ids for callers. @default crypto.randomUUID */
  newId?: () => string;
}

/** An invalid `tasks/list` cursor. */
export class TaskCursorError extends Error {
  override readonly name = 'TaskCursorError';
}

/**
 * The tasks created through the gateway, by the gateway's id and by the
 * upstream's. Bounded in count and time, bound to the scope that created each
 * task. Pure: the clock is a parameter; the shell sweeps it on a timer.
 */
export class TaskRegistry {
  readonly #byId = new Map<string, TaskEntry>();
  readonly #byUpstream = new Map<string, TaskEntry>();
  readonly #maxTasks: number;
  readonly #maxTtlMs: number;
  readonly #pageSize: number;
  readonly #newId: () => string;

  constructor(options: TaskRegistryOptions = {}) {
    this.#maxTasks = options.maxTasks ?? 10_000;
    this.#maxTtlMs = options.maxTtlMs ?? 86_400_000;
    this.#pageSize = options.pageSize ?? 100;
    this.#newId = options.newId ?? randomUUID;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Remember a task the upstream created; returns it and any entries evicted to make room. */
  add(
    input: { service: string; scopeId: string; tool: string; exposedName: string; task: TaskSnapshot },
    raw: Record<string, unknown>,
    now: number,
  ): { entry: TaskEntry; evicted: TaskEntry[] } {
    const evicted: TaskEntry[] = [];
    while (this.#byId.size >= this.#maxTasks) {
      const oldest = this.#byId.values().next().value as TaskEntry;
      this.remove(oldest);
      evicted.push(oldest);
    }
    const id = this.#newId();
    const createdAt = input.task.createdAt ?? now;
    const ttl = input.task.ttl === null || input.task.ttl === undefined ? this.#maxTtlMs : input.task.ttl;
    const entry: TaskEntry = {
      id,
      service: input.service,
      upstreamId: input.task.taskId,
      scopeId: input.scopeId,
      tool: input.tool,
      exposedName: input.exposedName,
      createdAt,
      status: input.task.status,
      lastUpdatedAt: input.task.lastUpdatedAt ?? createdAt,
      last: { ...raw, taskId: id },
      expiresAt: createdAt + Math.min(ttl, this.#maxTtlMs),
      trace: undefined,
    };
    this.#byId.set(id, entry);
    this.#byUpstream.set(upstreamKey(entry.service, entry.upstreamId), entry);
    return { entry, evicted };
  }

  /** The task `id` if `scopeId` created it (another scope's task is "not found", not "forbidden"). */
  get(id: string, scopeId: string): TaskEntry | undefined {
    const entry = this.#byId.get(id);
    return entry?.scopeId === scopeId ? entry : undefined;
  }

  byUpstream(service: string, upstreamId: string): TaskEntry | undefined {
    return this.#byUpstream.get(upstreamKey(service, upstreamId));
  }

  /**
   * Record what the upstream says of a task now; returns the status change, if
   * any. A terminal status never changes again (MCP), whatever arrives later.
   */
  update(
    entry: TaskEntry,
    task: TaskSnapshot,
    raw: Record<string, unknown>,
    now: number,
  ): TaskTransition | undefined {
    if (isTerminal(entry.status)) return undefined;
    entry.last = { ...raw, taskId: entry.id };
    if (task.status === entry.status) return undefined;
    const at = task.lastUpdatedAt ?? now;
    const transition = { from: entry.status, to: task.status, at };
    entry.status = task.status;
    entry.lastUpdatedAt = at;
    return transition;
  }

  /** One page of a scope's tasks, oldest first; `cursor` is the last id of the previous page. */
  page(
    scopeId: string,
    cursor: string | undefined,
  ): { entries: TaskEntry[]; nextCursor: string | undefined } {
    const all = [...this.#byId.values()].filter((entry) => entry.scopeId === scopeId);
    let start = 0;
    if (cursor !== undefined) {
      const index = all.findIndex((entry) => entry.id === cursor);
      if (index < 0) throw new TaskCursorError(`Invalid cursor: ${cursor}`);
      start = index + 1;
    }
    const entries = all.slice(start, start + this.#pageSize);
    const more = start + this.#pageSize < all.length;
    return { entries, nextCursor: more ? entries[entries.length - 1]?.id : undefined };
  }

  /** Drop expired entries; returns them. */
  sweep(now: number): TaskEntry[] {
    const expired: TaskEntry[] = [];
    for (const entry of this.#byId.values()) if (entry.expiresAt <= now) expired.push(entry);
    for (const entry of expired) this.remove(entry);
    return expired;
  }

  remove(entry: TaskEntry): void {
    this.#byId.delete(entry.id);
    this.#byUpstream.delete(upstreamKey(entry.service, entry.upstreamId));
  }

  /** Every entry (shutdown). */
  entries(): IterableIterator<TaskEntry> {
    return this.#byId.values();
  }
}

function upstreamKey(service: string, upstreamId: string): string {
  return `${service}\u0000${upstreamId}`;
}
