import { setImmediate as immediate } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { AsyncCpuAttributor, ProfilingStage } from '../../src/profiling/index.js';
import { makeCall, shuffle } from './helpers.js';

const ARRAY_LENGTH = 1024;
const ARRAYS_PER_CHUNK = 16;
const CHUNKS = 8;

function allocateChunk(into: unknown[][]): void {
  for (let i = 0; i < ARRAYS_PER_CHUNK; i++) into.push(new Array(ARRAY_LENGTH).fill(i));
}

/**
 * Bytes one chunk puts on the JS heap, measured synchronously many times: the
 * median of the per-chunk heap growth (a GC inside one sample only lowers it).
 */
function bytesPerChunk(): number {
  const samples: number[] = [];
  for (let i = 0; i < 41; i++) {
    const keep: unknown[][] = [];
    const before = getHeapStatistics().used_heap_size;
    allocateChunk(keep);
    samples.push(getHeapStatistics().used_heap_size - before);
  }
  samples.sort((a, b) => a - b);
  return samples[20]!;
}

describe('exact mode estimates the heap each call allocates', () => {
  it('charges a call that allocates a known amount within 5 %, whether it keeps or drops it, with 16 in flight', async () => {
    const stage = new ProfilingStage({ mode: 'exact', attributor: new AsyncCpuAttributor() });
    const retained: unknown[][][] = [];
    const charged = { keep: [] as number[], drop: [] as number[] };
    try {
      const chunk = bytesPerChunk();
      const truth = chunk * CHUNKS;
      expect(truth).toBeGreaterThan(CHUNKS * ARRAYS_PER_CHUNK * ARRAY_LENGTH * 4); // sanity: ~1 MiB per call
      for (let round = 0; round < 12; round++) {
        retained.length = 0;
        const kinds = shuffle([...Array(8).fill('keep'), ...Array(8).fill('drop')], round + 7);
        await Promise.all(
          kinds.map(async (kind: 'keep' | 'drop') => {
            const call = makeCall(kind);
            await stage.handle(call, async () => {
              const arrays: unknown[][] = [];
              for (let c = 0; c < CHUNKS; c++) {
                allocateChunk(arrays);
                await immediate();
              }
              if (kind === 'keep') retained.push(arrays);
              return { content: [] };
            });
            charged[kind].push(call.profile!.heapAllocatedBytes!);
          }),
        );
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      for (const kind of ['keep', 'drop'] as const) {
        const err = mean(charged[kind]) / truth - 1;
        expect(Math.abs(err), `${kind}: error ${(err * 100).toFixed(2)} %`).toBeLessThan(0.05);
      }
    } finally {
      stage.close();
    }
  });
});
