import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as immediate } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureRefusedError, CpuProfileCapture, topFunctions } from '../../src/profiling/index.js';
import { WAIT_SLACK } from '../e2e/helpers.js';
import {
  churningSite,
  fixtureHotLoop,
  releaseRetained,
  retainingSite,
} from '../fixtures/profiling/hotTool.mjs';
import { anomalousVerdict } from './helpers.js';

/** Keeps the fixture busy (in slices, so timers still fire) until `stop` resolves. */
async function busyUntil(done: Promise<unknown>, work: () => void) {
  let finished = false;
  done.finally(() => {
    finished = true;
  });
  while (!finished) {
    work();
    await immediate();
  }
}

describe('CPU profile capture', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'toolscope-capture-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves a .cpuprofile that parses and names the CPU-bound tool’s hot function, and stops by itself', async () => {
    const capture = new CpuProfileCapture({ directory: dir, heap: false });
    const started = Date.now();
    const pending = capture.capture({ toolKey: 'fixture/hot', seconds: 0.6 });
    expect(capture.running).toBe(true);
    await busyUntil(pending, () => fixtureHotLoop(200_000));
    const result = await pending;
    expect(capture.running).toBe(false);
    // A bound for a hang (it stops by itself), with a busy machine's slack.
    expect(Date.now() - started).toBeLessThan(3000 * WAIT_SLACK);
    expect(result.durationMs).toBeGreaterThanOrEqual(550);

    const profile = JSON.parse(await readFile(result.path, 'utf8'));
    expect(result.path.endsWith('.cpuprofile')).toBe(true);
    expect(Array.isArray(profile.nodes) && Array.isArray(profile.samples)).toBe(true);
    // How many samples land in 0.6 s depends on how much CPU the machine gives this process; that
    // there are samples, and whose they are, does not.
    expect(result.sampleCount).toBeGreaterThan(0);
    const names = topFunctions(profile, 5).map((f) => f.functionName);
    expect(names).toContain('fixtureHotLoop');
    const hot = result.top.find((f) => f.functionName === 'fixtureHotLoop')!;
    expect(hot.url).toContain('hotTool.mjs');
    expect(hot.selfShare).toBeGreaterThan(0.3);
    expect(hot.totalMs).toBeGreaterThanOrEqual(hot.selfMs);
    expect(capture.recent()).toContain(result);
  });

  it('tells a retaining allocation site from a churning one with the sampling heap profiler', async () => {
    const capture = new CpuProfileCapture({ directory: dir, heap: true, heapSamplingIntervalBytes: 8192 });
    const pending = capture.capture({ toolKey: 'fixture/heap', seconds: 1 });
    await busyUntil(pending, () => {
      retainingSite(200);
      churningSite(2000);
    });
    const result = await pending;
    releaseRetained();
    const heap = result.heap!;
    expect(JSON.parse(await readFile(heap.allocationPath, 'utf8')).head).toBeDefined();
    expect(JSON.parse(await readFile(heap.retentionPath, 'utf8')).head).toBeDefined();
    const retain = heap.sites.find((s) => s.functionName === 'retainingSite')!;
    const churn = heap.sites.find((s) => s.functionName === 'churningSite')!;
    expect(churn.allocatedBytesPerSec).toBeGreaterThan(retain.allocatedBytesPerSec);
    // Churn keeps nothing; the retaining site keeps much of what it allocates. The two
    // phases run at different moments, so under load the rates drift: loose bound.
    expect(churn.retainedBytesPerSec).toBeLessThan(0.05 * churn.allocatedBytesPerSec);
    expect(churn.freedShare).toBeGreaterThan(0.95);
    expect(retain.retainedBytesPerSec).toBeGreaterThan(0.25 * retain.allocatedBytesPerSec);
    expect(retain.freedShare).toBeLessThan(churn.freedShare - 0.2);
  });

  it('refuses a second capture while one runs, and rate-limits automatic captures of a flapping tool', async () => {
    const capture = new CpuProfileCapture({ directory: dir, heap: false, minIntervalSeconds: 3600 });
    const seen: string[] = [];
    const first = new Promise((resolve) => capture.onCapture(resolve));
    capture.onCapture((r) => seen.push(`${r.reason}:${r.toolKey}`));
    capture.onVerdict(anomalousVerdict('svc/flappy'));
    expect(capture.running).toBe(true);
    await expect(capture.capture({ toolKey: 'svc/other', seconds: 0.1 })).rejects.toBeInstanceOf(
      CaptureRefusedError,
    );
    capture.close(); // ends the running capture early; it still saves what it has
    await first;
    expect(capture.running).toBe(false);
    expect(seen).toEqual(['anomaly:svc/flappy']);

    const again = new CpuProfileCapture({
      directory: dir,
      heap: false,
      minIntervalSeconds: 3600,
      defaultSeconds: 0.1,
    });
    const done = new Promise((resolve) => again.onCapture(resolve));
    again.onVerdict(anomalousVerdict('svc/flappy'));
    await done;
    again.onVerdict(anomalousVerdict('svc/flappy')); // the same tool flaps again: cooldown, no capture
    expect(again.running).toBe(false);
    again.onVerdict(anomalousVerdict('svc/calm'));
    expect(again.running).toBe(true); // another tool still may
    again.close();
  });

  it('profiles automatically only tools whose code runs in this process', async () => {
    const capture = new CpuProfileCapture({
      directory: dir,
      heap: false,
      defaultSeconds: 0.1,
      runsHere: (service) => service !== 'upstream',
    });
    capture.onVerdict(anomalousVerdict('upstream/slow')); // served by another process: its profile is not here
    expect(capture.running).toBe(false);
    const done = new Promise<{ toolKey: string }>((resolve) => capture.onCapture(resolve));
    capture.onVerdict(anomalousVerdict('local/slow'));
    expect(capture.running).toBe(true);
    expect((await done).toolKey).toBe('local/slow');
    // On demand, any tool may still be profiled (the caller asked for this process's picture).
    expect((await capture.capture({ toolKey: 'upstream/slow', seconds: 0.05 })).toolKey).toBe(
      'upstream/slow',
    );
    capture.close();
  });

  it('keeps the directory bounded', async () => {
    const bounded = join(dir, 'bounded');
    const capture = new CpuProfileCapture({ directory: bounded, heap: false, maxFiles: 2 });
    for (let i = 0; i < 4; i++) await capture.capture({ toolKey: `t/${i}`, seconds: 0.05 });
    expect(await readdir(bounded)).toHaveLength(2);
  });
});
