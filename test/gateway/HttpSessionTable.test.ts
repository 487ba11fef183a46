import { describe, expect, it } from 'vitest';
import { HttpSessionTable } from '../../src/gateway/HttpSessionTable.js';

describe('HttpSessionTable', () => {
  const limits = { max: 2, idleTimeoutMs: 10_000, disconnectGraceMs: 500 };

  it('makes room from the least recently used session with nothing open, never a connected one', () => {
    let now = 0;
    const table = new HttpSessionTable<string>(limits, () => now);
    const a = table.add('a', 'A', 'store');
    now = 10;
    table.add('b', 'B', 'store');
    expect(table.makeRoom()).toBe('a');
    table.streamOpened(a);
    expect(table.makeRoom()).toBe('b');
    const b = table.get('b');
    if (b) table.beginRequest(b, 1);
    expect(table.makeRoom()).toBe('full');
  });

  it('closes a session shortly after its last event stream closed, unless the client comes back', () => {
    let now = 0;
    const table = new HttpSessionTable<string>(limits, () => now);
    const a = table.add('a', 'A', 'store');
    table.streamOpened(a);
    table.streamClosed(a);
    now = 400;
    expect(table.due()).toEqual([]);
    now = 600;
    expect(table.due()).toEqual(['a']);
    table.touch(a); // it came back (a reconnected stream, a request)
    expect(table.due()).toEqual([]);
  });

  it('expires idle sessions, refuses an id in use, and frees it when answered', () => {
    let now = 0;
    const table = new HttpSessionTable<string>(limits, () => now);
    const a = table.add('a', 'A', 'store');
    expect(table.beginRequest(a, 7)).toBe(true);
    expect(table.beginRequest(a, 7)).toBe(false);
    now = 20_000;
    expect(table.due()).toEqual([]); // a request is open
    table.endRequest(a, 7);
    expect(table.beginRequest(a, 7)).toBe(true);
    table.endRequest(a, 7);
    now = 40_000;
    expect(table.due()).toEqual(['a']);
  });
});
