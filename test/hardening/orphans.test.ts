// Issue 17, defect 12: a server still starting when the gateway or the proxy stops was never
// killed (its process group is detached, so it outlived its parent). Every front, every way of
// stopping: nothing with the test's marker survives.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, eventually, FIXTURE, pidsWithEnv, startHttpGateway, writeConfig } from '../e2e/helpers.js';

const MARKER = `orphans-${randomUUID()}`;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const survivors = async () => (await pidsWithEnv('TOOLSCOPE_ORPHAN_MARKER', MARKER)).filter(alive);

/** A fixture that takes a minute before it reads its first message: it is "starting" the whole test. */
const stuck = {
  command: process.execPath,
  args: [FIXTURE],
  env: { FIXTURE_START_DELAY_MS: '60000', TOOLSCOPE_ORPHAN_MARKER: MARKER },
};
const quick = { command: process.execPath, args: [FIXTURE], env: { TOOLSCOPE_ORPHAN_MARKER: MARKER } };

afterAll(async () => {
  for (const pid of await survivors()) process.kill(pid, 'SIGKILL');
});

describe('servers still starting are stopped with their gateway', () => {
  it('HTTP gateway, SIGTERM', async () => {
    const config = await writeConfig({ mcpServers: { stuck, quick } });
    const gateway = await startHttpGateway(config);
    await eventually(async () => expect((await survivors()).length).toBeGreaterThanOrEqual(2));
    await gateway.stop();
    await eventually(async () => expect(await survivors()).toEqual([]), 5000);
  });

  it('stdio gateway and proxy, stdin closed before and after the client initialized', async () => {
    const config = await writeConfig({ mcpServers: { stuck, quick } });
    // The gateway passes each server its configured env; the proxy passes its own, so it carries
    // the marker too (and the server has started once two processes have it).
    const commands = [
      { args: [CLI, 'gateway', '--config', config], env: {}, started: 2 },
      { args: [CLI, 'proxy', '--', stuck.command, ...stuck.args], env: stuck.env, started: 2 },
    ];
    for (const { args, env, started } of commands) {
      for (const initialize of [false, true]) {
        const child = spawn(process.execPath, args, {
          stdio: ['pipe', 'ignore', 'ignore'],
          env: { ...process.env, ...env, TOOLSCOPE_LOG_LEVEL: 'error', OTEL_SDK_DISABLED: 'true' },
        });
        const exited = new Promise((resolve) => child.once('exit', resolve));
        if (initialize) {
          const init = {
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
              protocolVersion: '2025-11-25',
              capabilities: {},
              clientInfo: { name: 'o', version: '1' },
            },
          };
          child.stdin?.write(`${JSON.stringify(init)}\n`);
        }
        await eventually(async () => expect((await survivors()).length).toBeGreaterThanOrEqual(started));
        child.stdin?.end();
        await exited;
        await eventually(
          async () =>
            expect({ args, initialize, left: await survivors() }).toEqual({ args, initialize, left: [] }),
          5000,
        );
      }
    }
  }, 60_000);
});
