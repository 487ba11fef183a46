import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../src/jsonrpc/index.js';

describe('classifyMessage', () => {
  it('tells requests, notifications and responses apart', () => {
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, method: 'ping' }).kind).toBe('request');
    expect(
      classifyMessage({ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'x' } }).kind,
    ).toBe('request');
    expect(classifyMessage({ jsonrpc: '2.0', method: 'notifications/initialized' }).kind).toBe(
      'notification',
    );
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, result: {} }).kind).toBe('result');
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'no' } }).kind).toBe(
      'error',
    );
  });

  it.each([
    [null, 'a message must be a JSON object'],
    [[{ jsonrpc: '2.0', id: 1, method: 'ping' }], 'batches are not supported'],
    [{ foo: 1 }, '"jsonrpc" must be "2.0"'],
    [{ jsonrpc: '1.0', id: 1, method: 'ping' }, '"jsonrpc" must be "2.0"'],
    [{ jsonrpc: '2.0', id: null, method: 'ping' }, '"id" must be a string or an integer'],
    [{ jsonrpc: '2.0', id: 1.5, method: 'ping' }, '"id" must be a string or an integer'],
    [{ jsonrpc: '2.0', id: 1, method: 42 }, '"method" must be a non-empty string'],
    [{ jsonrpc: '2.0', id: 1, method: 'x', params: [1] }, '"params" must be an object'],
    [{ jsonrpc: '2.0', id: 1 }, 'not a request, notification or response'],
  ])('refuses %j: %s', (value, reason) => {
    const classified = classifyMessage(value);
    expect(classified.kind).toBe('invalid');
    expect(classified.kind === 'invalid' && classified.reason).toBe(reason);
  });

  it('keeps the id of an invalid request when it can be read, for correlation', () => {
    const classified = classifyMessage({ jsonrpc: '2.0', id: 7, method: 42 });
    expect(classified.kind === 'invalid' && classified.id).toBe(7);
  });
});
