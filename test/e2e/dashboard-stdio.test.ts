import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceRecord, StatusSnapshot } from '../../src/dashboard/index.js';
import { CLI, eventually, FIXTURE, stdioClient, writeConfig } from './helpers.js';

const run = promisify(execFile);
const TOKEN = 'stdio-status-token-1';
const SECRET_ENV = 'hunter2-in-the-env';
const SECRET_ARG = 'sk-live-arg-secret';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('status API of a gateway serving MCP over stdio', () => {
  let home: string;
  let gateway: Awaited<ReturnType<typeof stdioClient>>;
  let record: InstanceRecord;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'toolscope-home-'));
    const config = await writeConfig({
      mcpServers: {
        fixture: {
          command: process.execPath,
          args: [FIXTURE, '--api-key', SECRET_ARG],
          env: { FIXTURE_SECRET: SECRET_ENV },
        },
      },
      toolscope: { listen: { token: '${TOOLSCOPE_TOKEN}' } },
    });
    gateway = await stdioClient(process.execPath, [CLI, 'gateway', config], {
      TOOLSCOPE_HOME: home,
      TOOLSCOPE_TOKEN: TOKEN,
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    });
    record = await eventually(async () => {
      const [name] = await readdir(join(home, 'instances'));
      if (!name) throw new Error('no instance record yet');
      return JSON.parse(await readFile(join(home, 'instances', name), 'utf8')) as InstanceRecord;
    });
    for (let i = 0; i < 5; i++)
      await gateway.client.callTool({ name: 'fixture_echo', arguments: { message: `m${i}` } });
  }, 300_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('listens on loopback and says so in its instance record, without the token', async () => {
    expect(record).toMatchObject({ mode: 'gateway', transport: 'stdio', tokenRequired: true });
    expect(record.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const raw = await readFile(join(home, 'instances', `${record.pid}.json`), 'utf8');
    expect(raw).not.toContain(TOKEN);
  });

  it('applies the MCP endpoint’s rules: token required, foreign Host and Origin refused', async () => {
    expect((await get(`${record.url}/status`)).status).toBe(401);
    expect((await get(`${record.url}/`)).status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await get(`${record.url}/status`, { ...auth, host: 'attacker.example' })).status).toBe(403);
    expect((await get(`${record.url}/status`, { ...auth, origin: 'http://attacker.example' })).status).toBe(
      403,
    );
    expect((await get(`${record.url}/`, auth)).status).toBe(200);
  });

  it('shows the service and its calls, and never its env or secret-looking arguments', async () => {
    const { status, body } = await get(`${record.url}/status`, { authorization: `Bearer ${TOKEN}` });
    expect(status).toBe(200);
    expect(body).not.toContain(SECRET_ENV);
    expect(body).not.toContain(SECRET_ARG);
    expect(body).not.toContain(TOKEN);
    const snapshot = JSON.parse(body) as StatusSnapshot;
    const [service] = snapshot.services;
    expect(service).toMatchObject({ name: 'fixture', kind: 'stdio', state: 'ready' });
    expect(service!.command).toContain('--api-key [REDACTED]');
    expect(service!.pid).toBeGreaterThan(0);
    expect(snapshot.tools.find((t) => t.name === 'fixture_echo')).toMatchObject({ calls: 5, errors: 0 });
  });

  it('lets the CLI in with TOOLSCOPE_TOKEN, and says what is missing without it', async () => {
    const env = { ...process.env, TOOLSCOPE_HOME: home, TOOLSCOPE_URL: '' };
    const { stdout } = await run(process.execPath, [CLI, 'status'], {
      env: { ...env, TOOLSCOPE_TOKEN: TOKEN },
    });
    expect(stdout).toMatch(/^fixture_echo +5 /m);
    await expect(
      run(process.execPath, [CLI, 'status'], { env: { ...env, TOOLSCOPE_TOKEN: '' } }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('requires a token: pass --token or set TOOLSCOPE_TOKEN'),
    });
  });

  it('removes its instance record when it exits', async () => {
    await gateway.close();
    await eventually(
      () => expect(existsSync(join(home, 'instances', `${record.pid}.json`))).toBe(false),
      10_000,
    );
  });
});
