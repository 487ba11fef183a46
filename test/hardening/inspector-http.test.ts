// The MCP Inspector CLI (v1) as a user would point it at a running gateway over Streamable HTTP.
// The stdio proxy and stdio gateway are covered in test/e2e/proxy.test.ts; this is the HTTP front,
// behind a bearer token, on the store endpoint and an agent scope.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, ROOT, startHttpGateway, writeConfig } from '../e2e/helpers.js';

const run = promisify(execFile);
const inspector = join(ROOT, 'node_modules/.bin/mcp-inspector-cli');
const TOKEN = 'inspector-http-token';

/** Run the inspector in CLI mode against `url`; it resolves ../package.json from its cwd, hence test/. */
async function inspect(url: string, args: string[], headers = [`Authorization: Bearer ${TOKEN}`]) {
  const { stdout } = await run(
    inspector,
    ['--cli', url, '--transport', 'http', ...headers.flatMap((h) => ['--header', h]), ...args],
    { cwd: join(ROOT, 'test'), timeout: 30_000 },
  );
  return stdout;
}

describe('MCP Inspector CLI over Streamable HTTP', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

  beforeAll(async () => {
    const config = await writeConfig({
      mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
      toolscope: {
        listen: { token: '${INSPECTOR_HTTP_TOKEN}' },
        agents: { solo: { services: ['fixture'] } },
      },
    });
    gateway = await startHttpGateway(config, [], { INSPECTOR_HTTP_TOKEN: TOKEN });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it('lists and calls the namespaced tools at /mcp', async () => {
    const listed = JSON.parse(await inspect(`${gateway.url}/mcp`, ['--method', 'tools/list'])) as {
      tools: Array<{ name: string }>;
    };
    expect(listed.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['fixture_echo', 'fixture_add', 'fixture_whoami']),
    );
    const called = JSON.parse(
      await inspect(`${gateway.url}/mcp`, [
        '--method',
        'tools/call',
        '--tool-name',
        'fixture_echo',
        '--tool-arg',
        'message=inspected over http',
      ]),
    );
    expect(called.content).toEqual([{ type: 'text', text: 'inspected over http' }]);
    expect(called.isError ?? false).toBe(false);
  });

  it('lists and calls original names in an agent scope', async () => {
    const url = `${gateway.url}/agents/solo/mcp`;
    const listed = JSON.parse(await inspect(url, ['--method', 'tools/list'])) as {
      tools: Array<{ name: string }>;
    };
    expect(listed.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add']));
    const called = JSON.parse(
      await inspect(url, ['--method', 'tools/call', '--tool-name', 'add', '--tool-arg', 'a=2', 'b=40']),
    );
    expect(JSON.stringify(called.content)).toContain('42');
  });

  it('is refused without the bearer token', async () => {
    const refused = await inspect(`${gateway.url}/mcp`, ['--method', 'tools/list'], []).then(
      () => 'listed',
      (error: { stderr?: string; stdout?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    expect(refused).not.toBe('listed');
    expect(refused).toMatch(/401|nauthori/i);
  });
});
