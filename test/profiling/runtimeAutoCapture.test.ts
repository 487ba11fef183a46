import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { DemoIncident, demoServices } from '../../src/demo/index.js';
import { ToolscopeRuntime } from '../../src/runtime/index.js';
import { anomalousVerdict } from './helpers.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/gateway-fixture.mjs');

describe('automatic profile captures in the runtime', () => {
  let runtime: ToolscopeRuntime;

  beforeAll(async () => {
    const config = parseConfig(
      {
        mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
        toolscope: {
          profiling: {
            capture: {
              directory: await mkdtemp(join(tmpdir(), 'toolscope-profiles-')),
              heap: false,
              seconds: 0.2,
            },
          },
        },
      },
      { env: {} },
    );
    runtime = new ToolscopeRuntime({
      config,
      inProcess: demoServices(new DemoIncident()),
      stateDir: null,
      servePrometheus: false,
      downstream: 'inproc',
      logDestination: { write() {} },
    });
    await runtime.start();
  });

  afterAll(() => runtime.stop());

  it('profile an anomalous in-process tool, not a tool of an upstream server process', async () => {
    const { capture } = runtime.profiling;
    // The fixture runs in its own process: a profile of the gateway would not show its code.
    capture.onVerdict(anomalousVerdict('fixture/echo'));
    expect(capture.running).toBe(false);
    // The demo's services run in this process: their code is in the profile.
    const done = new Promise<{ toolKey: string; reason: string }>((resolve) => capture.onCapture(resolve));
    capture.onVerdict(anomalousVerdict('compute/primes'));
    expect(capture.running).toBe(true);
    expect(await done).toMatchObject({ toolKey: 'compute/primes', reason: 'anomaly' });
  });
});
