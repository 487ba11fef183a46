import type { ResolvedTool, ToolCall, ToolExecutor, ToolRef, ToolResult } from '../../src/pipeline/index.js';

export function ref(service: string, tool: string): ToolRef {
  return { service, tool, key: `${service}/${tool}` };
}

const unusedExecutor: ToolExecutor = {
  kind: 'in_process',
  execute: () => Promise.reject(new Error('tests drive calls through `next`')),
};

export function tool(service: string, name: string, annotations?: Record<string, unknown>): ResolvedTool {
  return { ref: ref(service, name), definition: { name, annotations }, executor: unusedExecutor };
}

export function makeCall(
  resolved: ResolvedTool,
  init: { signal?: AbortSignal; agent?: string } = {},
): ToolCall {
  return {
    requestedName: resolved.ref.key,
    arguments: {},
    params: { name: resolved.definition.name, arguments: {} },
    agent: init.agent,
    signal: init.signal ?? new AbortController().signal,
    inputBytes: 0,
    outputBytes: 0,
    progress: undefined,
    tool: resolved,
    queueWaitMs: 0,
    inFlightAtStart: 0,
    attempts: 1,
    context: undefined,
    errorType: undefined,
    profile: undefined,
    extensions: {},
  };
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const ok: ToolResult = { content: [{ type: 'text', text: 'ok' }] };
export const toolError: ToolResult = { content: [{ type: 'text', text: 'nope' }], isError: true };
