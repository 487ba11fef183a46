import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxProcReader, ProfilingStage, UpstreamProcessSampler } from '../../src/profiling/index.js';
import { makeCall } from './helpers.js';

const fixture = fileURLToPath(new URL('../fixtures/profiling/burn-server.mjs', import.meta.url));
const BURN_MS = 150;
const linux = process.platform === 'linux';

describe.runIf(linux)('upstream process sampling with a fixture server that burns CPU', () => {
  // `sh -c '…; true'` keeps the shell alive, so the server is a grandchild like under npx.
  const transport = new StdioClientTransport({
    command: 'sh',
    args: ['-c', `"${process.execPath}" "${fixture}"; true`],
    env: { ...process.env, BURN_MS: String(BURN_MS) } as Record<string, string>,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'test', version: '1.0.0' });
  const sampler = new UpstreamProcessSampler({ locate: () => transport.pid ?? undefined, intervalMs: 200 });
  const stage = new ProfilingStage({ mode: 'cheap', upstream: sampler });

  beforeAll(async () => {
    await client.connect(transport);
  });
  afterAll(async () => {
    sampler.stop();
    stage.close();
    await client.close();
  });

  it('finds the server behind its shell wrapper', () => {
    const pids = new LinuxProcReader().tree([transport.pid!]);
    expect(pids[0]).toBe(transport.pid);
    expect(pids.length).toBeGreaterThanOrEqual(2);
  });

  it('charges a call with the process tree’s CPU over its window, labelled as process-level', async () => {
    const figures = [];
    for (let i = 0; i < 3; i++) {
      const call = makeCall('burn', 'upstream', 'fixture');
      await stage.handle(call, () => client.callTool({ name: 'burn', arguments: {} }) as never);
      figures.push(call.profile!);
    }
    for (const p of figures) {
      expect(p.cpuAttribution).toBe('upstream_process');
      const cpuMs = (p.cpuUserMicros! + p.cpuSystemMicros!) / 1000;
      // /proc counts in 10 ms ticks; the server's own request handling adds a little.
      expect(cpuMs).toBeGreaterThanOrEqual(BURN_MS - 20);
      expect(cpuMs).toBeLessThan(BURN_MS * 1.5 + 20);
      expect(p.cpuWindowMs).toBeGreaterThanOrEqual(BURN_MS * 0.9);
      expect(p.upstreamRssBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(p.inFlightDuringCall).toBeCloseTo(1, 1);
    }
  });

  it('charges an idle call next to nothing and counts calls that shared the window', async () => {
    const calls = [makeCall('idle', 'upstream', 'fixture'), makeCall('idle', 'upstream', 'fixture')];
    await Promise.all(
      calls.map((call) =>
        stage.handle(call, () => client.callTool({ name: 'idle', arguments: {} }) as never),
      ),
    );
    for (const call of calls) {
      expect((call.profile!.cpuUserMicros! + call.profile!.cpuSystemMicros!) / 1000).toBeLessThanOrEqual(30);
    }
    expect(Math.max(...calls.map((c) => c.profile!.inFlightDuringCall!))).toBeGreaterThan(1);
  });

  it('turns periodic samples into utilisation and RSS gauges', async () => {
    sampler.track('fixture');
    const started = performance.now();
    sampler.sampleAll();
    await Promise.all([
      client.callTool({ name: 'burn', arguments: {} }),
      client.callTool({ name: 'burn', arguments: {} }),
    ]);
    sampler.sampleAll();
    const windowMs = performance.now() - started;
    const stats = sampler.stats().find((s) => s.service === 'fixture')!;
    expect(stats.pids.length).toBeGreaterThanOrEqual(2);
    expect(stats.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    // The server burnt 2 × 150 ms of CPU (it measures that itself) inside the window, however long a
    // busy machine made the window: at least that, in cores, less the 10 ms ticks /proc counts in.
    expect(stats.cpuUtilization).toBeGreaterThan((2 * BURN_MS - 30) / windowMs);
    expect(stats.cpuUtilization).toBeLessThanOrEqual(1.1);
  });

  it("samples on its own unref'd timer once started, and stops", async () => {
    sampler.track('fixture');
    sampler.start();
    const before = sampler.stats().find((s) => s.service === 'fixture')!.sampledAt;
    await new Promise((resolve) => setTimeout(resolve, 500));
    sampler.stop();
    const after = sampler.stats().find((s) => s.service === 'fixture')!.sampledAt;
    expect(after).toBeGreaterThan(before);
  });

  it('keeps reading a live process through its open stat file and reports a dead one as gone', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const reader = new LinuxProcReader();
    expect(reader.stat(child.pid!)?.pid).toBe(child.pid);
    expect(reader.stat(child.pid!)?.ppid).toBe(process.pid);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited; // reaped: the pid is gone
    expect(reader.stat(child.pid!)).toBeUndefined();
  });

  it('reports nothing for a service without a local process', () => {
    const remote = new UpstreamProcessSampler({ locate: () => undefined });
    const mark = remote.begin('remote');
    expect(remote.end(mark)).toBeUndefined();
  });
});
