import { setImmediate as immediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AfterAnswerQueue } from '../../src/pipeline/index.js';

describe('AfterAnswerQueue', () => {
  it('runs tasks in the order queued, on the next turn, not before', async () => {
    const queue = new AfterAnswerQueue(() => {});
    const ran: string[] = [];
    queue.defer((name) => ran.push(name), 'observe a');
    queue.defer((name) => ran.push(name), 'end span a');
    await Promise.resolve(); // microtasks (the caller's continuation) come first
    expect(ran).toEqual([]);
    expect(queue.pending).toBe(2);
    await immediate();
    expect(ran).toEqual(['observe a', 'end span a']);
    expect(queue.pending).toBe(0);
  });

  it('runs what a task queues in the same flush, after what was already there', () => {
    const queue = new AfterAnswerQueue(() => {});
    const ran: number[] = [];
    queue.defer(() => {
      ran.push(1);
      queue.defer(() => ran.push(3), undefined);
    }, undefined);
    queue.defer(() => ran.push(2), undefined);
    queue.flush();
    expect(ran).toEqual([1, 2, 3]);
  });

  it('keeps going past a task that throws, and reports it', () => {
    const errors: unknown[] = [];
    const queue = new AfterAnswerQueue((error) => errors.push(error));
    const ran: number[] = [];
    queue.defer(() => {
      throw new Error('broken observer');
    }, undefined);
    queue.defer(() => ran.push(1), undefined);
    queue.flush();
    expect(ran).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('stays bounded when the event loop never turns (a loop of calls that only awaits microtasks)', () => {
    const queue = new AfterAnswerQueue(() => {});
    let ran = 0;
    for (let i = 0; i < 10_000; i++) queue.defer(() => ran++, undefined);
    expect(queue.pending).toBeLessThan(4096);
    expect(ran).toBeGreaterThan(10_000 - 4096);
    queue.flush();
    expect(ran).toBe(10_000);
  });
});
