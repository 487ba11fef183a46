import { describe, expect, it } from 'vitest';
import { LineReader, peekMessageId } from '../../src/transport/index.js';

function collect(max: number) {
  const lines: string[] = [];
  const oversize: Array<{ head: string; total: number }> = [];
  const reader = new LineReader(
    max,
    (line) => lines.push(line.toString('utf8')),
    (head, total) => oversize.push({ head: head.toString('utf8'), total }),
  );
  return { reader, lines, oversize };
}

describe('LineReader', () => {
  it('splits lines across chunk boundaries and strips CR', () => {
    const { reader, lines } = collect(1024);
    reader.push(Buffer.from('{"a":1}\n{"b"'));
    reader.push(Buffer.from(':2}\r\n\n{"c":3}'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    reader.push(Buffer.from('\n'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('drops an oversized line as it streams in, keeps its head, and recovers for the next line', () => {
    const { reader, lines, oversize } = collect(1000);
    reader.push(Buffer.from('{"jsonrpc":"2.0","id":42,"result":{"x":"'));
    for (let i = 0; i < 100; i++) reader.push(Buffer.alloc(1000, 'x'));
    // Memory stays bounded while the line is being discarded.
    expect(reader.bufferedBytes).toBe(0);
    reader.push(Buffer.from('"}}\n{"ok":true}\n'));
    expect(oversize).toHaveLength(1);
    expect(oversize[0]?.total).toBeGreaterThan(100_000);
    expect(peekMessageId(Buffer.from(oversize[0]?.head ?? ''))).toBe(42);
    expect(lines).toEqual(['{"ok":true}']);
  });

  it('reads string and numeric ids from the head of a message', () => {
    expect(peekMessageId(Buffer.from('{"jsonrpc":"2.0","id":"req-\\"7","method":'))).toBe('req-"7');
    expect(peekMessageId(Buffer.from('{"jsonrpc":"2.0","method":"x"'))).toBeNull();
  });
});
