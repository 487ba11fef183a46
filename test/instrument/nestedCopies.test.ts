import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/helpers.js';
import { OtlpReceiver, SPAN_KIND } from '../e2e/otlpReceiver.js';
import { FIXTURES, only, otlpEnv, type Preload, runFixture } from './fixtureRun.js';

/**
 * A library that pins its own SDK: `node_modules/agent-lib/node_modules/@modelcontextprotocol/sdk`
 * (1.10.2) next to the app's own SDK (1.32.2). Eager loading from the app's directory cannot reach
 * the nested copy; the register hook must notice it and use its load hook (ESM) or its require hook
 * (CJS), so the library's Client is traced like the app's server.
 */
const receiver = new OtlpReceiver();
let app: string;

const APP_BODY = (load: string) => `${load}
const server = new McpServer({ name: 'app-server', version: '1.0.0' });
server.tool('echo', { text: z.string() }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
const client = new lib.Client({ name: 'lib-client', version: '1.0.0' });
const [clientTransport, serverTransport] = lib.InMemoryTransport.createLinkedPair();
Promise.all([server.connect(serverTransport), client.connect(clientTransport)])
  .then(() => client.callTool({ name: 'echo', arguments: { text: 'nested' } }))
  .then(async (echo) => {
    await client.close();
    process.stdout.write(JSON.stringify({ echo }) + '\\n');
  });
`;

beforeAll(async () => {
  await receiver.start();
  app = await mkdtemp(join(tmpdir(), 'toolscope-nested-'));
  const modules = join(app, 'node_modules');
  const lib = join(modules, 'agent-lib');
  await mkdir(join(lib, 'node_modules/@modelcontextprotocol'), { recursive: true });
  await symlink(join(ROOT, 'node_modules/@modelcontextprotocol'), join(modules, '@modelcontextprotocol'));
  await symlink(join(ROOT, 'node_modules/zod'), join(modules, 'zod'));
  await symlink(
    join(FIXTURES, 'sdk-1.10/node_modules/@modelcontextprotocol/sdk'),
    join(lib, 'node_modules/@modelcontextprotocol/sdk'),
  );
  await writeFile(
    join(lib, 'package.json'),
    JSON.stringify({ name: 'agent-lib', exports: { import: './index.mjs', require: './index.cjs' } }),
  );
  await writeFile(
    join(lib, 'index.mjs'),
    "export { Client } from '@modelcontextprotocol/sdk/client/index.js';\nexport { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';\n",
  );
  await writeFile(
    join(lib, 'index.cjs'),
    "module.exports = { ...require('@modelcontextprotocol/sdk/client/index.js'), ...require('@modelcontextprotocol/sdk/inMemory.js') };\n",
  );
  await writeFile(
    join(app, 'app.mjs'),
    APP_BODY(
      "import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';\nimport { z } from 'zod';\nimport * as lib from 'agent-lib';",
    ),
  );
  await writeFile(
    join(app, 'app.cjs'),
    APP_BODY(
      "const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');\nconst { z } = require('zod');\nconst lib = require('agent-lib');",
    ),
  );
}, 200_000);

afterAll(async () => {
  await receiver.stop();
  if (app) await rm(app, { recursive: true, force: true });
});

async function run(
  file: string,
  preload: Exclude<Preload, 'none'>,
  service: string,
  env: Record<string, string> = {},
) {
  const result = await runFixture(join(app, file), {
    preload,
    env: { ...otlpEnv(receiver.url, service), ...env },
  });
  expect(result.code, result.stderr).toBe(0);
  expect(result.output.echo).toEqual({ content: [{ type: 'text', text: 'nested' }] });
  return receiver.spans.filter((span) => span.service === service);
}

describe('a library with its own nested SDK copy', () => {
  it('is instrumented in an ESM app: the load hook is registered because the copy exists', async () => {
    const spans = await run('app.mjs', 'import', 'nested-esm');
    const call = only(spans, 'tools/call echo', SPAN_KIND.client);
    const handled = only(spans, 'tools/call echo', SPAN_KIND.server);
    expect(handled.parentSpanId).toBe(call.spanId);
  });

  it('is missed with TOOLSCOPE_ESM_HOOK=off, while the app’s own server still is (why the hook exists)', async () => {
    const spans = await run('app.mjs', 'import', 'nested-esm-off', { TOOLSCOPE_ESM_HOOK: 'off' });
    expect(spans.filter((span) => span.kind === SPAN_KIND.client)).toHaveLength(0);
    only(spans, 'tools/call echo', SPAN_KIND.server);
  });

  it('is instrumented in a CJS app by the require hook alone', async () => {
    const spans = await run('app.cjs', 'require', 'nested-cjs');
    const call = only(spans, 'tools/call echo', SPAN_KIND.client);
    expect(only(spans, 'tools/call echo', SPAN_KIND.server).parentSpanId).toBe(call.spanId);
  });
});
