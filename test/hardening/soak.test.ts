import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const DRIVER = join(ROOT, 'bench/lib/soak.mjs');
const CALLS = 50_000;
const WARMUP = 10_000;
const MiB = 1024 * 1024;

interface SoakResult {
  seconds: number;
  outcomes: { ok: number; toolError: number; unknown: number };
  heapGrowth: number;
  heapGrowthFromLowest: number;
  heapAtWarmup: number;
  heapAtEnd: number;
  resourcesStart: Record<string, number>;
  resourcesEnd: Record<string, number>;
  /** Open descriptors as "fd target" (Linux only). */
  fdsStart: string[] | undefined;
  fdsEnd: string[] | undefined;
}

/**
 * The CI-sized soak (`npm run bench soak` runs 1,000,000 calls): 50,000 calls
 * through the gateway with every default (telemetry with traces exported,
 * profiling, analyzer, tuner), in a child node with --expose-gc so the heap is
 * sampled after real collections and nothing of vitest's own is counted. Uses dist/
 * (`npm test` builds first), like the other end-to-end tests. 50,000 rather than
 * 100,000: those took 23 s on a quiet 2-CPU machine but 58 s while other jobs ran.
 * The driver is bench/lib/soak.mjs.
 */
describe('soak', () => {
  it(`${CALLS.toLocaleString('en-US')} calls: heap flat after warm-up, no handle left behind`, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--expose-gc',
        DRIVER,
        '--calls',
        String(CALLS),
        '--warmup',
        String(WARMUP),
        '--sample-every',
        '10000',
      ],
      { cwd: ROOT, maxBuffer: 16 * MiB },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as SoakResult;
    const { ok, toolError, unknown } = result.outcomes;
    expect(ok + toolError + unknown).toBe(CALLS);
    expect(toolError).toBe(CALLS / 100);
    expect(unknown).toBe(CALLS / 100);
    // Heap after warm-up and at the end (MiB) appear in the failure message.
    expect(
      result.heapGrowth / MiB,
      `heap ${(result.heapAtWarmup / MiB).toFixed(1)} → ${(result.heapAtEnd / MiB).toFixed(1)} MiB`,
    ).toBeLessThanOrEqual(16);
    expect(result.heapGrowthFromLowest / MiB).toBeLessThanOrEqual(16);
    expect(result.resourcesEnd).toEqual(result.resourcesStart);
  }, 600_000);
});
