import { join } from 'node:path';
import {
  CallToolResultSchema,
  type CreateTaskResult,
  CreateTaskResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpEnv } from '../instrument/fixtureRun.js';
import {
  EVERYTHING,
  eventually,
  FIXTURE,
  httpClient,
  ROOT,
  startHttpGateway,
  textOf,
  writeConfig,
} from './helpers.js';
import { OtlpReceiver, SPAN_KIND } from './otlpReceiver.js';

/**
 * Issue 11 acceptance: task-augmented calls (MCP 2025-11-25) through the gateway
 * to upstreams that support tasks — an SDK server with the experimental task
 * API, and server-everything — under the caller's namespace: creation, status,
 * result, list, cancellation, a failed task; tasks bound to the scope that
 * created them; services without tasks refuse them; each task's lifecycle is a
 * span linked to the call that created it.
 */
const TASKS_FIXTURE = join(ROOT, 'test/fixtures/tasks-fixture.mjs');
const receiver = new OtlpReceiver();
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

type Client = Awaited<ReturnType<typeof httpClient>>['client'];

function callAsTask(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CreateTaskResult> {
  return client.request(
    { method: 'tools/call', params: { name, arguments: args, task: { ttl: 60_000 } } },
    CreateTaskResultSchema,
  );
}

beforeAll(async () => {
  await receiver.start();
  const config = await writeConfig({
    mcpServers: {
      jobs: { command: process.execPath, args: [TASKS_FIXTURE] },
      everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] },
      plain: { command: process.execPath, args: [FIXTURE] },
    },
    toolscope: { agents: { researcher: { services: ['jobs'] } } },
  });
  gateway = await startHttpGateway(config, [], {
    ...otlpEnv(receiver.url, 'gateway'),
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
  });
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  await receiver.stop();
});

describe('task-augmented calls through the gateway', () => {
  it('lists task support only for services that offer tasks', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      expect(client.getServerCapabilities()?.tasks).toMatchObject({ requests: { tools: { call: {} } } });
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      expect(byName.get('jobs_sum')?.execution?.taskSupport).toBe('optional');
      expect(byName.get('everything_simulate-research-query')?.execution?.taskSupport).toBe('required');
      expect(byName.get('plain_echo')?.execution?.taskSupport ?? 'forbidden').toBe('forbidden');
      await expect(callAsTask(client, 'plain_echo', { message: 'x' })).rejects.toThrow(/-32601.*task/);
    } finally {
      await close();
    }
  });

  it("creates a task, reports its status, and returns its result under the gateway's task id", async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      const created = await callAsTask(client, 'jobs_sum', { a: 20, b: 22, ms: 300 });
      const id = created.task.taskId;
      expect(created.task.status).toBe('working');
      const working = await client.experimental.tasks.getTask(id);
      expect(working).toMatchObject({ taskId: id, status: 'working' });
      const result = await client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
      expect(textOf(result)).toBe('42');
      expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: id });
      expect(await client.experimental.tasks.getTask(id)).toMatchObject({ taskId: id, status: 'completed' });
      const { tasks } = await client.experimental.tasks.listTasks();
      expect(tasks.map((task) => task.taskId)).toContain(id);
      // The SDK client's own task helper works through the gateway too.
      await client.listTools();
      const stream = client.experimental.tasks.callToolStream({
        name: 'jobs_sum',
        arguments: { a: 1, b: 2, ms: 50 },
      });
      const kinds: string[] = [];
      let final = '';
      for await (const message of stream) {
        kinds.push(message.type);
        if (message.type === 'result') final = textOf(message.result);
      }
      expect(kinds[0]).toBe('taskCreated');
      expect(final).toBe('3');
    } finally {
      await close();
    }
  });

  it('cancels a running task, and reports a failed one', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      const forever = await callAsTask(client, 'jobs_forever');
      const cancelled = await client.experimental.tasks.cancelTask(forever.task.taskId);
      expect(cancelled).toMatchObject({ taskId: forever.task.taskId, status: 'cancelled' });
      expect(await client.experimental.tasks.getTask(forever.task.taskId)).toMatchObject({
        status: 'cancelled',
      });
      await expect(client.experimental.tasks.cancelTask(forever.task.taskId)).rejects.toThrow(/-32602/);
      const boom = await callAsTask(client, 'jobs_boom');
      const result = await client.experimental.tasks.getTaskResult(boom.task.taskId, CallToolResultSchema);
      expect(result.isError).toBe(true);
      await eventually(async () =>
        expect(await client.experimental.tasks.getTask(boom.task.taskId)).toMatchObject({ status: 'failed' }),
      );
    } finally {
      await close();
    }
  });

  it('forwards tasks to server-everything: create, status, cancel', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      const created = await callAsTask(client, 'everything_simulate-research-query', { topic: 'otel' });
      const id = created.task.taskId;
      expect(await client.experimental.tasks.getTask(id)).toMatchObject({ taskId: id, status: 'working' });
      expect(await client.experimental.tasks.cancelTask(id)).toMatchObject({
        taskId: id,
        status: 'cancelled',
      });
    } finally {
      await close();
    }
  });

  it('binds tasks to the scope that created them', async () => {
    const store = await httpClient(`${gateway.url}/mcp`);
    const agent = await httpClient(`${gateway.url}/agents/researcher/mcp`);
    try {
      const created = await callAsTask(agent.client, 'sum', { a: 1, b: 1, ms: 10 });
      expect(
        textOf(
          await agent.client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema),
        ),
      ).toBe('2');
      await expect(store.client.experimental.tasks.getTask(created.task.taskId)).rejects.toThrow(
        /Task not found/,
      );
      const { tasks } = await store.client.experimental.tasks.listTasks();
      expect(tasks.map((task) => task.taskId)).not.toContain(created.task.taskId);
    } finally {
      await Promise.all([store.close(), agent.close()]);
    }
  });

  it("traces each task's lifecycle as a span linked to the call that created it", async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    let id = '';
    try {
      const created = await callAsTask(client, 'jobs_sum', { a: 2, b: 2, ms: 100 });
      id = created.task.taskId;
      await client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    } finally {
      await close();
    }
    const lifecycle = await eventually(() => {
      const found = receiver.spans.find(
        (span) => span.attributes['toolscope.task.id'] === id && span.name.startsWith('toolscope.task'),
      );
      if (!found) throw new Error('no lifecycle span yet');
      return found;
    });
    expect(lifecycle).toMatchObject({ name: 'toolscope.task jobs_sum', kind: SPAN_KIND.internal });
    expect(lifecycle.attributes).toMatchObject({
      'toolscope.service': 'jobs',
      'gen_ai.tool.name': 'sum',
      'toolscope.task.status': 'completed',
    });
    expect(lifecycle.events.map((event) => event.attributes['toolscope.task.status'])).toEqual([
      'working',
      'completed',
    ]);
    const origin = receiver.spans.find(
      (span) =>
        span.kind === SPAN_KIND.server &&
        span.name === 'tools/call jobs_sum' &&
        span.attributes['toolscope.task.id'] === id,
    );
    expect(origin).toBeDefined();
    expect(lifecycle.links).toEqual([{ traceId: origin?.traceId, spanId: origin?.spanId }]);
    const cancelled = receiver.spans.find(
      (span) =>
        span.name === 'toolscope.task jobs_forever' &&
        span.attributes['toolscope.task.status'] === 'cancelled',
    );
    expect(cancelled).toBeDefined();
  });
});
