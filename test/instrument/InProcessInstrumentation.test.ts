import { describe, expect, it } from 'vitest';
import { InProcessInstrumentation } from '../../src/instrument/index.js';
import type { NextStage, ToolCall, ToolResult } from '../../src/pipeline/index.js';

const call = { extensions: {} } as unknown as ToolCall;
const handlerResult: ToolResult = { content: [{ type: 'text', text: 'from the handler' }] };

/** The first added stage, wired to `next`, the way the in-process pipeline runs it. */
function run(registry: InProcessInstrumentation, next: NextStage) {
  const [stage] = registry.stages;
  if (!stage) throw new Error('no stage');
  return stage.handle(call, next);
}

describe('InProcessInstrumentation', () => {
  it('runs added stages in order and bumps its version on every change', () => {
    const registry = new InProcessInstrumentation();
    const before = registry.version;
    const removeA = registry.addStage({ name: 'a', handle: (c, next) => next(c) });
    registry.addStage({ name: 'b', handle: (c, next) => next(c) });
    expect(registry.stages.map((stage) => stage.name)).toEqual(['a', 'b']);
    removeA();
    expect(registry.stages.map((stage) => stage.name)).toEqual(['b']);
    expect(registry.version).toBe(before + 3);
  });

  it('skips a stage that throws before handing the call on', async () => {
    const registry = new InProcessInstrumentation();
    registry.addStage({
      name: 'broken',
      handle: () => {
        throw new Error('broken');
      },
    });
    await expect(run(registry, async () => handlerResult)).resolves.toBe(handlerResult);
  });

  it('keeps the handler’s result when a stage fails after it', async () => {
    const registry = new InProcessInstrumentation();
    registry.addStage({
      name: 'late',
      handle: async (c, next) => {
        await next(c);
        throw new Error('late');
      },
    });
    await expect(run(registry, async () => handlerResult)).resolves.toBe(handlerResult);
  });

  it('passes the handler’s own error object through, whatever the stage did with it', async () => {
    const registry = new InProcessInstrumentation();
    const own = new RangeError('from the handler');
    registry.addStage({
      name: 'rethrows-something-else',
      handle: async (c, next) => {
        try {
          return await next(c);
        } catch {
          throw new Error('replaced');
        }
      },
    });
    await expect(run(registry, () => Promise.reject(own))).rejects.toBe(own);
  });
});
