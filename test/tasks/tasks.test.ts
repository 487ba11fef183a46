import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  readTask,
  relatedTaskId,
  TaskCursorError,
  TaskLifecycle,
  TaskRegistry,
  TaskRouter,
  type TaskSnapshot,
  type TaskUpstream,
  toolsAsServed,
  withRelatedTask,
} from '../../src/tasks/index.js';

const TASKS = { tasks: { requests: { tools: { call: {} } } } };

function snapshot(taskId: string, status: TaskSnapshot['status'] = 'working', at = 1000): TaskSnapshot {
  return { taskId, status, createdAt: 1000, lastUpdatedAt: at, ttl: 60_000 };
}

function registry(options: ConstructorParameters<typeof TaskRegistry>[0] = {}) {
  let n = 0;
  return new TaskRegistry({ newId: () => `t${++n}`, ...options });
}

const tool = { service: 'jobs', tool: 'sum', exposedName: 'jobs_sum' };

describe('task messages', () => {
  it('reads Task objects and refuses anything else', () => {
    expect(
      readTask({ taskId: 'a', status: 'working', createdAt: '2025-11-25T10:30:00Z', ttl: null }),
    ).toEqual({
      taskId: 'a',
      status: 'working',
      createdAt: Date.parse('2025-11-25T10:30:00Z'),
      lastUpdatedAt: undefined,
      ttl: null,
    });
    expect(readTask({ taskId: 'a', status: 'sleeping' })).toBeUndefined();
    expect(readTask('a')).toBeUndefined();
  });

  it('rewrites the related-task id in _meta, leaving other messages alone', () => {
    const result = { content: [], _meta: { 'io.modelcontextprotocol/related-task': { taskId: 'up' }, x: 1 } };
    expect(withRelatedTask(result, 'mine')._meta).toEqual({
      'io.modelcontextprotocol/related-task': { taskId: 'mine' },
      x: 1,
    });
    expect(relatedTaskId(result)).toBe('up');
    const plain = { content: [] };
    expect(withRelatedTask(plain, 'mine')).toBe(plain);
  });

  it('drops taskSupport from the tools of services without task support, and only then', () => {
    const tools = [{ name: 'a', execution: { taskSupport: 'optional', other: 1 } }, { name: 'b' }];
    expect(toolsAsServed(tools, TASKS)).toBe(tools);
    expect(toolsAsServed(tools, {})).toEqual([
      { name: 'a', execution: { taskSupport: 'forbidden', other: 1 } },
      { name: 'b' },
    ]);
    const none = [{ name: 'b' }, { name: 'c', execution: { taskSupport: 'forbidden' } }];
    expect(toolsAsServed(none, {})).toBe(none);
  });
});

describe('TaskRegistry', () => {
  it('binds tasks to their scope and finds them by the upstream id', () => {
    const tasks = registry();
    const { entry } = tasks.add({ ...tool, scopeId: 'store', task: snapshot('up-1') }, { taskId: 'up-1' }, 0);
    expect(entry.id).toBe('t1');
    expect(entry.last).toEqual({ taskId: 't1' });
    expect(tasks.get('t1', 'store')).toBe(entry);
    expect(tasks.get('t1', 'researcher')).toBeUndefined();
    expect(tasks.byUpstream('jobs', 'up-1')).toBe(entry);
    expect(tasks.byUpstream('other', 'up-1')).toBeUndefined();
  });

  it('records status changes, and never leaves a terminal status', () => {
    const tasks = registry();
    const { entry } = tasks.add({ ...tool, scopeId: 's', task: snapshot('u') }, { taskId: 'u' }, 0);
    expect(
      tasks.update(entry, snapshot('u', 'working', 1500), { taskId: 'u', status: 'working' }, 0),
    ).toBeUndefined();
    expect(
      tasks.update(entry, snapshot('u', 'completed', 2000), { taskId: 'u', status: 'completed' }, 0),
    ).toEqual({
      from: 'working',
      to: 'completed',
      at: 2000,
    });
    expect(
      tasks.update(entry, snapshot('u', 'failed', 3000), { taskId: 'u', status: 'failed' }, 0),
    ).toBeUndefined();
    expect(entry.status).toBe('completed');
    expect(entry.last).toEqual({ taskId: 't1', status: 'completed' });
  });

  it('is bounded: the oldest task goes first; expired ones are swept', () => {
    const tasks = registry({ maxTasks: 2, maxTtlMs: 5000 });
    tasks.add({ ...tool, scopeId: 's', task: snapshot('a') }, {}, 0);
    tasks.add({ ...tool, scopeId: 's', task: { ...snapshot('b'), ttl: null } }, {}, 0);
    const { evicted } = tasks.add({ ...tool, scopeId: 's', task: snapshot('c') }, {}, 0);
    expect(evicted.map((entry) => entry.upstreamId)).toEqual(['a']);
    expect(tasks.size).toBe(2);
    // ttl 60 s capped at 5 s, ttl null → 5 s: both expire 5 s after createdAt (1000).
    expect(tasks.sweep(5999)).toEqual([]);
    expect(tasks.sweep(6000).map((entry) => entry.upstreamId)).toEqual(['b', 'c']);
    expect(tasks.size).toBe(0);
  });

  it("pages a scope's tasks with opaque cursors and refuses unknown ones", () => {
    const tasks = registry({ pageSize: 2 });
    for (const id of ['a', 'b', 'c']) tasks.add({ ...tool, scopeId: 's', task: snapshot(id) }, {}, 0);
    tasks.add({ ...tool, scopeId: 'other', task: snapshot('d') }, {}, 0);
    const first = tasks.page('s', undefined);
    expect(first.entries.map((entry) => entry.upstreamId)).toEqual(['a', 'b']);
    const second = tasks.page('s', first.nextCursor);
    expect(second.entries.map((entry) => entry.upstreamId)).toEqual(['c']);
    expect(second.nextCursor).toBeUndefined();
    expect(() => tasks.page('s', 'nope')).toThrow(TaskCursorError);
  });
});

describe('TaskLifecycle and TaskRouter', () => {
  it('traces a task from creation to its terminal status, linked to the creating call', async () => {
    // Epoch times as the gateway sees them: OpenTelemetry reads a small number (1300) as milliseconds
    // since process start once the process is older than that, so the times must be real dates.
    const t0 = Date.UTC(2026, 0, 1, 12);
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('test');
    const origin = tracer.startSpan('tools/call jobs_sum');
    const upstream: TaskUpstream & { calls: string[] } = {
      capabilities: TASKS,
      calls: [],
      async request(method, params) {
        this.calls.push(`${method} ${String(params?.taskId)}`);
        if (method === 'tasks/result')
          return {
            content: [{ type: 'text', text: '3' }],
            _meta: { 'io.modelcontextprotocol/related-task': { taskId: 'up-1' } },
          };
        return {
          taskId: 'up-1',
          status: 'completed',
          createdAt: new Date(t0).toISOString(),
          lastUpdatedAt: new Date(t0 + 300).toISOString(),
        };
      },
    };
    let now = t0;
    const router = new TaskRouter({ upstreams: new Map([['jobs', upstream]]), tracer, now: () => now });
    try {
      const created = router.created(
        'store',
        tool,
        { task: { taskId: 'up-1', status: 'working', createdAt: new Date(t0).toISOString(), ttl: 60_000 } },
        trace.setSpan(ROOT_CONTEXT, origin),
      );
      const id = (created.task as { taskId: string }).taskId;
      expect(id).not.toBe('up-1');
      now = t0 + 400;
      const result = await router.handle('tasks/result', { taskId: id }, 'store', {
        signal: new AbortController().signal,
        traceContext: undefined,
      });
      expect(result._meta).toEqual({ 'io.modelcontextprotocol/related-task': { taskId: id } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(upstream.calls).toEqual(['tasks/result up-1', 'tasks/get up-1']);
      await expect(
        router.handle('tasks/get', { taskId: id }, 'researcher', {
          signal: new AbortController().signal,
          traceContext: undefined,
        }),
      ).rejects.toThrow('Task not found');
      origin.end();
      const span = exporter.getFinishedSpans().find((s) => s.name === 'toolscope.task jobs_sum');
      expect(span?.attributes).toMatchObject({
        'toolscope.task.status': 'completed',
        'toolscope.task.upstream_id': 'up-1',
      });
      expect(span?.links[0]?.context.spanId).toBe(origin.spanContext().spanId);
      expect(span?.events.map((event) => event.attributes?.['toolscope.task.status'])).toEqual([
        'working',
        'completed',
      ]);
      expect(span?.endTime).toEqual([Math.floor((t0 + 300) / 1000), 300_000_000]);
      const originSpan = exporter.getFinishedSpans().find((s) => s.name === 'tools/call jobs_sum');
      expect(originSpan?.attributes['toolscope.task.id']).toBe(id);
    } finally {
      router.stop();
      await provider.shutdown();
    }
  });

  it('refuses task-augmented calls to services without tasks (-32601), and ends open spans on stop', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const upstream: TaskUpstream = { capabilities: TASKS, request: async () => ({}) };
    const router = new TaskRouter({
      upstreams: new Map<string, TaskUpstream>([
        ['jobs', upstream],
        ['plain', { capabilities: {}, request: async () => ({}) }],
      ]),
      tracer: provider.getTracer('test'),
    });
    expect(() => router.assertAugmentable('plain', 'plain_echo', 'store')).toThrow(
      expect.objectContaining({ code: -32601 }),
    );
    expect(() => router.assertAugmentable('jobs', 'jobs_sum', 'store')).not.toThrow();
    router.created('store', tool, { task: { taskId: 'u', status: 'working' } }, undefined);
    router.stop();
    const span = exporter.getFinishedSpans()[0];
    expect(span?.attributes['toolscope.task.end_reason']).toBe('shutdown');
    await provider.shutdown();
    expect(new TaskLifecycle(provider.getTracer('x'), undefined)).toBeDefined();
  });
});
