import { describe, expect, it } from 'vitest';
import {
  type Caller,
  type CallOrigin,
  declares,
  ownerOf,
  requiredCapability,
} from '../../src/gateway/Caller.js';
import { LegBudget } from '../../src/gateway/LegBudget.js';
import { logLevelAdmits, mostVerbose } from '../../src/gateway/logLevels.js';
import type { Upstream } from '../../src/gateway/Upstream.js';

function caller(id: string): Caller {
  return {
    id,
    era: 'legacy',
    identity: () => ({ capabilities: {}, clientInfo: undefined, logLevel: undefined }),
    supports: () => true,
    serverRequest: async () => ({}),
    deliver: () => {},
    wantsLog: () => true,
  };
}

describe('who a server request belongs to', () => {
  const a = caller('a');
  const b = caller('b');

  it('a connection serving one caller answers for it, related to its one request in flight', () => {
    expect(ownerOf(a, new Set())).toEqual({ caller: a, origin: undefined });
    expect(ownerOf(a, new Set<CallOrigin>([{ caller: a, requestId: 7 }]))).toEqual({ caller: a, origin: 7 });
    // Several of its requests in flight: its own session, but no one request can be named.
    const two = new Set<CallOrigin>([
      { caller: a, requestId: 7 },
      { caller: a, requestId: 8 },
    ]);
    expect(ownerOf(a, two)).toEqual({ caller: a, origin: undefined });
  });

  it('on a shared connection: the only caller with requests in flight; nobody when none or several', () => {
    expect(ownerOf(undefined, new Set())).toBeUndefined();
    expect(ownerOf(undefined, new Set<CallOrigin>([{ caller: b, requestId: 'x' }]))).toEqual({
      caller: b,
      origin: 'x',
    });
    const both = new Set<CallOrigin>([
      { caller: a, requestId: 1 },
      { caller: b, requestId: 1 },
    ]);
    expect(ownerOf(undefined, both)).toBeUndefined();
  });

  it('knows which capability each server request needs, and reads declared capabilities', () => {
    const request = (method: string, params?: Record<string, unknown>) =>
      ({ jsonrpc: '2.0', id: 1, method, params }) as const;
    expect(requiredCapability(request('sampling/createMessage'))).toBe('sampling');
    expect(requiredCapability(request('elicitation/create', { mode: 'form' }))).toBe('elicitation');
    expect(requiredCapability(request('elicitation/create', { mode: 'url' }))).toBe('elicitation.url');
    expect(requiredCapability(request('roots/list'))).toBe('roots');
    expect(requiredCapability(request('ping'))).toBeUndefined();
    expect(declares({ elicitation: {} }, 'elicitation')).toBe(true);
    expect(declares({ elicitation: { url: {} } }, 'elicitation')).toBe(false);
    expect(declares({ elicitation: { url: {} } }, 'elicitation.url')).toBe(true);
    expect(declares({ elicitation: { form: {} } }, 'elicitation.url')).toBe(false);
    expect(declares({ sampling: {} }, 'roots')).toBe(false);
    expect(declares(undefined, 'sampling')).toBe(false);
  });
});

describe('LegBudget', () => {
  const leg = (lastUsed: number, busy: boolean) =>
    ({ lastUsed, inFlight: new Set(busy ? [{}] : []) }) as unknown as Upstream;

  it('makes room by giving up the least recently used idle connection, never a busy one', () => {
    const budget = new LegBudget(3);
    const old = leg(1, false);
    const busyOlder = leg(0, true);
    const recent = leg(5, false);
    expect(budget.makeRoom()).toBeUndefined();
    for (const l of [old, busyOlder, recent]) budget.add(l);
    expect(budget.makeRoom()).toBe(old);
    budget.delete(old);
    expect(budget.makeRoom()).toBeUndefined();
    budget.add(leg(9, true));
    budget.delete(recent);
    budget.add(leg(8, true));
    expect(budget.makeRoom()).toBe('full');
  });
});

describe('log levels', () => {
  it('admits messages at or above a minimum, and finds the most verbose minimum', () => {
    expect(logLevelAdmits('warning', 'error')).toBe(true);
    expect(logLevelAdmits('warning', 'info')).toBe(false);
    expect(logLevelAdmits('warning', 'made-up')).toBe(true);
    expect(mostVerbose(['error', undefined, 'info'])).toBe('info');
    expect(mostVerbose([undefined])).toBeUndefined();
  });
});
