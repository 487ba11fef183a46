import { describe, expect, it } from 'vitest';
import { type QueueEntry, WaitQueue } from '../../src/resilience/index.js';

interface Item extends QueueEntry {
  readonly name: string;
}
const item = (name: string, priority = 0): Item => ({ name, priority, queued: false });

function drain(q: WaitQueue<Item>): string[] {
  const out: string[] = [];
  for (let e = q.shift(); e !== undefined; e = q.shift()) out.push(e.name);
  return out;
}

describe('WaitQueue', () => {
  it('dequeues by priority, FIFO within a priority', () => {
    const q = new WaitQueue<Item>();
    for (const [name, p] of [
      ['a', 0],
      ['b', 2],
      ['c', 0],
      ['d', -3],
      ['e', 2],
    ] as const)
      q.push(item(name, p));
    expect(q.size).toBe(5);
    expect(drain(q)).toEqual(['b', 'e', 'a', 'c', 'd']);
    expect(q.size).toBe(0);
  });

  it('removing an entry keeps the order of the others, and a removed entry is never dequeued', () => {
    const q = new WaitQueue<Item>();
    const items = ['a', 'b', 'c', 'd'].map((n) => item(n));
    for (const i of items) q.push(i);
    expect(q.remove(items[1]!)).toBe(true);
    expect(q.remove(items[1]!)).toBe(false);
    expect(q.size).toBe(3);
    expect(drain(q)).toEqual(['a', 'c', 'd']);
  });

  it('keeps order across compactions after many removals', () => {
    const q = new WaitQueue<Item>();
    const items = Array.from({ length: 5_000 }, (_, i) => item(String(i)));
    for (const i of items) q.push(i);
    // Remove all but every 7th, interleaved with a few dequeues from the front.
    const expected: string[] = [];
    items.forEach((it, i) => {
      if (i % 7 !== 0) q.remove(it);
    });
    for (let i = 0; i < items.length; i += 7) expected.push(String(i));
    expect(q.size).toBe(expected.length);
    expect(drain(q)).toEqual(expected);
  });

  it('is reusable after draining', () => {
    const q = new WaitQueue<Item>();
    q.push(item('a'));
    drain(q);
    q.push(item('b', 1));
    q.push(item('c'));
    expect(drain(q)).toEqual(['b', 'c']);
  });
});
