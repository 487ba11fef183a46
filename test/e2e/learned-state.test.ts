import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { CLI, eventually, FIXTURE, httpClient, startHttpGateway } from './helpers.js';

describe('learned state: per config or proxied command, in the user’s data directory (issue 18, item 5)', () => {
  it("lives in the user's data directory under the proxied command, never in the agent's working folder", async () => {
    const [home, cwd] = await Promise.all([
      mkdtemp(join(tmpdir(), 'toolscope-proxy-home-')),
      mkdtemp(join(tmpdir(), 'toolscope-proxy-cwd-')),
    ]);
    try {
      // An agent starts the proxy from a folder of its own (here an empty one).
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'proxy', '--', process.execPath, FIXTURE],
        cwd,
        env: {
          ...(process.env as Record<string, string>),
          TOOLSCOPE_HOME: home,
          TOOLSCOPE_LOG_LEVEL: 'error',
        },
        stderr: 'pipe',
      });
      const client = new Client({ name: 'state-agent', version: '1.0.0' });
      await client.connect(transport);
      for (let i = 0; i < 5; i++) await client.callTool({ name: 'echo', arguments: { message: `m${i}` } });
      // stdin closes: the proxy saves what it learned and exits.
      await client.close();
      const saved = await eventually(async () => {
        const folders = await readdir(join(home, 'state'));
        expect(folders).toEqual([expect.stringMatching(/^node-[0-9a-f]{12}$/)]);
        expect(await readdir(join(home, 'state', folders[0] as string))).toContain('analyzer.json');
        return folders[0];
      });
      expect(saved).toBeDefined();
      expect(await readdir(cwd)).toEqual([]);
    } finally {
      await Promise.all([
        rm(home, { recursive: true, force: true }),
        rm(cwd, { recursive: true, force: true }),
      ]);
    }
  });

  it('gives two gateway configs in one folder a state folder each, and writes nothing beside them', async () => {
    const [home, folder] = await Promise.all([
      mkdtemp(join(tmpdir(), 'toolscope-gateway-home-')),
      mkdtemp(join(tmpdir(), 'toolscope-configs-')),
    ]);
    try {
      const config = { mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } } };
      const paths = ['toolscope.json', 'other.json'].map((name) => join(folder, name));
      await Promise.all(paths.map((path) => writeFile(path, JSON.stringify(config))));
      const gateways = await Promise.all(
        paths.map((path) =>
          startHttpGateway(path, [], { TOOLSCOPE_HOME: home, OTEL_EXPORTER_PROMETHEUS_PORT: '0' }),
        ),
      );
      try {
        for (const gateway of gateways) {
          const { client, close } = await httpClient(`${gateway.url}/mcp`);
          await client.callTool({ name: 'fixture_echo', arguments: { message: 'hi' } });
          await close();
        }
      } finally {
        // SIGTERM: each saves what it learned on the way out.
        await Promise.all(gateways.map((gateway) => gateway.stop()));
      }
      const folders = (await readdir(join(home, 'state'))).sort();
      expect(folders).toEqual([
        expect.stringMatching(/^other-[0-9a-f]{12}$/),
        expect.stringMatching(/^toolscope-[0-9a-f]{12}$/),
      ]);
      for (const name of folders) expect(await readdir(join(home, 'state', name))).toContain('analyzer.json');
      expect((await readdir(folder)).sort()).toEqual(['other.json', 'toolscope.json']);
    } finally {
      await Promise.all([
        rm(home, { recursive: true, force: true }),
        rm(folder, { recursive: true, force: true }),
      ]);
    }
  });
});
