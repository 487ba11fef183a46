import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AsyncCpuAttributor, ProfilingStage } from '../../src/profiling/index.js';
import { burn, makeCall } from './helpers.js';

describe('ProfilingStage', () => {
  for (const mode of ['cheap', 'exact'] as const) {
    it(`passes the result through unchanged (${mode})`, async () => {
      const stage = new ProfilingStage({ mode, attributor: new AsyncCpuAttributor() });
      const result = { content: [{ type: 'text', text: 'x' }], structuredContent: { a: 1 } };
      await expect(stage.handle(makeCall('t'), async () => result)).resolves.toBe(result);
      stage.close();
    });

    it(`rethrows the tool's own error object and still records the call (${mode})`, async () => {
      const stage = new ProfilingStage({ mode, attributor: new AsyncCpuAttributor() });
      const error = new Error('tool failed');
      const call = makeCall('t');
      await expect(
        stage.handle(call, async () => {
          throw error;
        }),
      ).rejects.toBe(error);
      expect(call.profile?.cpuAttribution).toBe(mode === 'exact' ? 'call' : 'process_window');
      stage.close();
    });

    it(`rethrows a synchronous throw from the next stage (${mode})`, async () => {
      const stage = new ProfilingStage({ mode, attributor: new AsyncCpuAttributor() });
      const error = new Error('sync');
      await expect(
        stage.handle(makeCall('t'), () => {
          throw error;
        }),
      ).rejects.toBe(error);
      stage.close();
    });
  }

  it('records nothing when off', async () => {
    const stage = new ProfilingStage({ mode: 'off' });
    const call = makeCall('t');
    await stage.handle(call, async () => ({ content: [] }));
    expect(call.profile).toBeUndefined();
  });

  it('leaves upstream calls alone when no process sampler is given', async () => {
    const stage = new ProfilingStage({ mode: 'exact', attributor: new AsyncCpuAttributor() });
    const call = makeCall('t', 'upstream');
    await stage.handle(call, async () => ({ content: [] }));
    expect(call.profile).toBeUndefined();
    stage.close();
  });

  it('reports the event-loop delay a call saw, including a block it caused itself', async () => {
    const stage = new ProfilingStage({ mode: 'cheap' });
    const blocked = makeCall('t');
    const victim = makeCall('v');
    await Promise.all([
      stage.handle(victim, async () => {
        await sleep(120);
        return { content: [] };
      }),
      stage.handle(blocked, async () => {
        await sleep(30);
        const end = Date.now() + 60;
        while (Date.now() < end) {}
        return { content: [] };
      }),
    ]);
    expect(blocked.profile?.eventLoopDelayMs).toBeGreaterThan(40);
    expect(victim.profile?.eventLoopDelayMs).toBeGreaterThan(40);
    stage.close();
  });

  it('reports GC time that overlapped a call', async () => {
    const stage = new ProfilingStage({ mode: 'cheap' });
    const call = makeCall('gc');
    await stage.handle(call, async () => {
      let keep: unknown[] = [];
      for (let i = 0; i < 40; i++) {
        keep = Array.from({ length: 50_000 }, (_, j) => ({ j }));
        await sleep(1);
      }
      return { content: [{ type: 'text', text: String(keep.length) }] };
    });
    expect(call.profile?.gcOverlapMs).toBeGreaterThan(0);
    stage.close();
  });

  it('tells the cheap figures apart: process CPU over the window plus how many calls shared it', async () => {
    const stage = new ProfilingStage({ mode: 'cheap' });
    const calls = [makeCall('a'), makeCall('b'), makeCall('c')];
    await Promise.all(
      calls.map((call) =>
        stage.handle(call, async () => {
          await sleep(5);
          burn(3000);
          await sleep(5);
          return { content: [] };
        }),
      ),
    );
    for (const call of calls) {
      expect(call.profile?.cpuAttribution).toBe('process_window');
      expect(call.profile?.inFlightDuringCall).toBeGreaterThan(1.5);
      expect(call.profile?.heapAllocatedBytes).toBeUndefined(); // a window heap delta would blame the wrong call
      expect(call.profile!.cpuUserMicros! + call.profile!.cpuSystemMicros!).toBeGreaterThan(5000);
    }
    stage.close();
  });

  it('close is idempotent and releases the shared hook', () => {
    const at = new AsyncCpuAttributor();
    const a = new ProfilingStage({ mode: 'exact', attributor: at });
    const b = new ProfilingStage({ mode: 'exact', attributor: at });
    a.close();
    a.close();
    expect(at.active).toBe(true);
    b.close();
    expect(at.active).toBe(false);
  });
});
