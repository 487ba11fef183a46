import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient, ROOT, startHttpGateway, writeConfig } from './helpers.js';
import { freePort } from './prometheusServer.js';

const CAPACITY_SERVER = join(ROOT, 'test/fixtures/capacity-server.mjs');

/**
 * The adaptive resource manager through the real gateway, against a server with a
 * fixed number of workers (calls beyond it queue inside the server): under steady
 * overload the pool limit settles near the server's capacity, and when the
 * capacity halves the limit follows it down (issue 7).
 */
describe('pool tuning against a server of limited capacity', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  let client: Awaited<ReturnType<typeof httpClient>>;
  let running = true;
  let load: Promise<void>;

  beforeAll(async () => {
    const config = await writeConfig({
      mcpServers: {
        // 100 ms per call: 40 calls/s at most, so the server's workers, not a busy machine's CPU, are
        // what limit the calls (at 20 ms, or 50 under a full test run, a loaded machine could not offer them).
        cap: { command: process.execPath, args: [CAPACITY_SERVER], env: { CAPACITY: '4', WORK_MS: '100' } },
      },
      toolscope: {
        execution: { services: { cap: { pool: { limit: 12, queueSize: 200 } } } },
        tuning: { pools: { cap: { min: 1, max: 16 } } },
      },
    });
    gateway = await startHttpGateway(config, [], { OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()) });
    client = await httpClient(`${gateway.url}/mcp`);
    // 24 callers in a closed loop: more than the server can take at once, and more than the pool's
    // maximum (16), so the pool binds at any limit and the tuner's steps show how latency responds.
    load = Promise.all(
      Array.from({ length: 24 }, async () => {
        while (running)
          await client.client.callTool({ name: 'cap_work', arguments: {} }).catch(() => undefined);
      }),
    ).then(() => undefined);
  });

  afterAll(async () => {
    running = false;
    await load;
    await client?.close();
    await gateway?.stop();
  });

  async function poolLimit(): Promise<number> {
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith('toolscope_pool_limit{') && l.includes('toolscope_pool="cap"'));
    return Number(line?.split(' ').at(-1));
  }

  /** Median pool limit over the second half of a phase (after it had time to converge). */
  async function settledLimit(phaseMs: number): Promise<{ median: number; samples: (number | string)[] }> {
    await new Promise((resolve) => setTimeout(resolve, phaseMs / 2));
    const samples: number[] = [];
    const end = Date.now() + phaseMs / 2;
    while (Date.now() < end) {
      samples.push(await poolLimit());
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const sorted = [...samples].sort((a, b) => a - b);
    // The tuner's own account, so that a failure says why.
    const status = (await (await fetch(`${gateway.url}/status?series=0`)).json()) as {
      tuning: { decisions: { message: string }[]; judgements?: { message: string }[] };
    };
    const why = [...status.tuning.decisions, ...(status.tuning.judgements ?? [])].map((d) => d.message);
    return { median: sorted[Math.floor(sorted.length / 2)] as number, samples: [...samples, '\n', ...why] };
  }

  it('settles near the server’s capacity from above', async () => {
    // The first phase includes the controller's warm-up (learning the no-load latency while overloaded).
    const { median, samples } = await settledLimit(40_000);
    expect(median, `limits: ${samples.join(' ')}`).toBeGreaterThanOrEqual(3);
    expect(median, `limits: ${samples.join(' ')}`).toBeLessThanOrEqual(7);
  }, 80_000);

  it('follows the capacity down when it halves', async () => {
    await client.client.callTool({ name: 'cap_set_capacity', arguments: { capacity: 2 } });
    const { median, samples } = await settledLimit(20_000);
    expect(median, `limits: ${samples.join(' ')}`).toBeLessThanOrEqual(4);
    expect(median, `limits: ${samples.join(' ')}`).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
