import { describe, expect, it } from 'vitest';
import { ModernCall } from '../../src/gateway/ModernCall.js';
import { ParkedCalls } from '../../src/gateway/ParkedCalls.js';

function call(principal = 'p', method = 'tools/call', name = 'tool') {
  return new ModernCall({
    method,
    name,
    principal,
    capabilities: {},
    clientInfo: undefined,
    logLevel: undefined,
    tracer: undefined,
    context: undefined,
  });
}

describe('ParkedCalls', () => {
  it('resumes a handle only for the principal, method and name it was issued for', () => {
    const parked = new ParkedCalls({ idleMs: 1000, max: 10 });
    const waiting = call();
    parked.park(waiting);
    expect(parked.resume(waiting.id, 'p', 'tools/call', 'tool')).toBe(waiting);
    expect(parked.resume(waiting.id, 'someone-else', 'tools/call', 'tool')).toBeUndefined();
    expect(parked.resume(waiting.id, 'p', 'prompts/get', 'tool')).toBeUndefined();
    expect(parked.resume(waiting.id, 'p', 'tools/call', 'other')).toBeUndefined();
    expect(parked.resume(`${waiting.id}x`, 'p', 'tools/call', 'tool')).toBeUndefined();
    expect(parked.resume(42, 'p', 'tools/call', 'tool')).toBeUndefined();
  });

  it('cancels calls nobody came back for, and the oldest when full', () => {
    let now = 10_000;
    const parked = new ParkedCalls({ idleMs: 1000, max: 2, now: () => now });
    const [a, b, c] = [call(), call(), call()];
    for (const each of [a, b, c]) {
      each.touchedAt = now;
      parked.park(each);
    }
    expect(a.abort.signal.aborted).toBe(true);
    expect(parked.size).toBe(2);
    now += 2000;
    parked.sweep();
    expect(b.abort.signal.aborted && c.abort.signal.aborted).toBe(true);
    expect(parked.size).toBe(0);
  });
});
