import { describe, expect, it } from 'vitest';
import type { ToolCall, ToolResult, ToolscopeError } from '../../src/pipeline/index.js';
import {
  createExecutionControl,
  type ResilienceConfigInput,
  resilienceConfigSchema,
} from '../../src/resilience/index.js';
import { type Deferred, deferred, makeCall, ok, tool } from './fixtures.js';
import { ManualClock } from './ManualClock.js';

function setup(input: ResilienceConfigInput) {
  const clock = new ManualClock();
  const control = createExecutionControl(resilienceConfigSchema.parse(input), { clock });
  const running: Deferred<ToolResult>[] = [];
  const next = (_call: ToolCall) => {
    const d = deferred<ToolResult>();
    running.push(d);
    return d.promise;
  };
  return { clock, control, running, next };
}

describe('AdmitStage', () => {
  it('records the queue wait and the calls already running, and frees the slot when the call ends', async () => {
    const { clock, control, running, next } = setup({ services: { svc: { pool: { limit: 1 } } } });
    const t = tool('svc', 't');
    const first = makeCall(t);
    const second = makeCall(t);
    const p1 = control.admit.handle(first, next);
    const p2 = control.admit.handle(second, next);
    await clock.advance(250);
    expect(running).toHaveLength(1);
    running[0]!.resolve(ok);
    await p1;
    await clock.advance(0);
    expect(running).toHaveLength(2);
    running[1]!.resolve(ok);
    await p2;
    expect(first).toMatchObject({ queueWaitMs: 0, inFlightAtStart: 0 });
    expect(second).toMatchObject({ queueWaitMs: 250, inFlightAtStart: 0 });
    const pool = control.pools.get('svc')!;
    expect([pool.inFlight, pool.queued]).toEqual([0, 0]);
  });

  it('counts the calls of the same pool already running', async () => {
    const { control, next } = setup({});
    const t = tool('svc', 't');
    const calls = [makeCall(t), makeCall(t), makeCall(t)];
    for (const c of calls) void control.admit.handle(c, next);
    expect(calls.map((c) => c.inFlightAtStart)).toEqual([0, 1, 2]);
  });

  it('frees the slot when a later stage throws', async () => {
    const { control } = setup({ services: { svc: { pool: { limit: 1 } } } });
    const t = tool('svc', 't');
    await expect(control.admit.handle(makeCall(t), () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(control.pools.get('svc')!.inFlight).toBe(0);
  });

  it('refuses an overloaded call with a clear error and retry-after, and the running calls are unaffected', async () => {
    const { control, running, next } = setup({ services: { svc: { pool: { limit: 1, queueSize: 0 } } } });
    const t = tool('svc', 't');
    const p1 = control.admit.handle(makeCall(t), next);
    const refusedCall = makeCall(t);
    const error = (await control.admit.handle(refusedCall, next).catch((e: unknown) => e)) as ToolscopeError;
    expect(error.errorType).toBe('overloaded');
    expect(error.message).toMatch(/Tool "svc\/t" is overloaded.*Back off for \d+ ms/);
    expect(typeof error.data?.retryAfterMs).toBe('number');
    expect(refusedCall.errorType).toBe('overloaded');
    running[0]!.resolve(ok);
    await expect(p1).resolves.toBe(ok);
  });

  it('queues by tool priority plus agent priority', async () => {
    const { clock, control, running, next } = setup({
      services: { svc: { pool: { limit: 1 } } },
      tools: { 'svc/urgent': { priority: 5 } },
      agentPriorities: { batch: -10, vip: 10 },
    });
    const order: string[] = [];
    const go = (name: string, agent?: string) =>
      control.admit.handle(makeCall(tool('svc', name), { agent }), (call) => {
        order.push(`${call.tool.ref.tool}${agent ? `@${agent}` : ''}`);
        return next(call);
      });
    void go('plain');
    void go('plain', 'batch');
    void go('urgent');
    void go('plain', 'vip');
    void go('plain');
    for (let i = 0; i < 5; i++) {
      await clock.advance(0);
      running[i]?.resolve(ok);
    }
    expect(order).toEqual(['plain', 'plain@vip', 'urgent', 'plain', 'plain@batch']);
  });

  it('an exclusive tool runs one call at a time in its own pool, beside the service pool', async () => {
    const { control, running, next } = setup({});
    const del = tool('svc', 'delete', { destructiveHint: true, idempotentHint: false });
    void control.admit.handle(makeCall(del), next);
    void control.admit.handle(makeCall(del), next);
    void control.admit.handle(makeCall(tool('svc', 'read')), next);
    expect(running).toHaveLength(2); // one delete + the read
    expect(control.pools.get('svc/delete')).toMatchObject({ limit: 1, inFlight: 1, queued: 1 });
    expect(control.pools.get('svc')).toMatchObject({ inFlight: 1 });
  });
});
