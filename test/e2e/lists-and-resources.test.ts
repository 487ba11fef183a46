// Issue 17, defects 3, 4 and 5: lists that follow every change, requests that wait for a service
// still starting, and resource URIs that reach the service owning them even when it does not list
// them. Through the stdio gateway and through the proxy, with SDK clients.
import { join } from 'node:path';
import {
  CompleteResultSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CLI, EVERYTHING, eventually, FIXTURE, ROOT, stdioClient, textOf, writeConfig } from './helpers.js';

const DELAYED = join(ROOT, 'test/fixtures/delayed-server.mjs');

describe('list changes are never lost (defect 3)', () => {
  it.each([
    ['gateway', 'fixture_'],
    ['proxy', ''],
  ])('three list_changed in a row all show, at once, through the %s', async (front, prefix) => {
    const config = await writeConfig({
      mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
    });
    const args =
      front === 'gateway'
        ? [CLI, 'gateway', '--config', config]
        : [CLI, 'proxy', '--', process.execPath, FIXTURE];
    const client = await stdioClient(process.execPath, args);
    try {
      const heard = { prompts: 0, resources: 0 };
      client.client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
        heard.prompts++;
      });
      client.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
        heard.resources++;
      });
      // The client has lists to keep fresh.
      await client.client.listTools();
      await client.client.listPrompts();
      await client.client.listResources();
      for (const n of [1, 2]) {
        expect(textOf(await client.client.callTool({ name: `${prefix}add_items`, arguments: {} }))).toBe(
          `added ${n}`,
        );
      }
      // Well before any cache expiry (5 min): every kind, every time.
      await eventually(async () => {
        const tools = (await client.client.listTools()).tools.map((t) => t.name);
        const prompts = (await client.client.listPrompts()).prompts.map((p) => p.name);
        const resources = (await client.client.listResources()).resources.map((r) => r.uri);
        expect(tools).toEqual(expect.arrayContaining([`${prefix}added_tool_1`, `${prefix}added_tool_2`]));
        expect(prompts).toEqual(
          expect.arrayContaining([`${prefix}added_prompt_1`, `${prefix}added_prompt_2`]),
        );
        expect(resources).toEqual(expect.arrayContaining(['fixture://added/1', 'fixture://added/2']));
      }, 5000);
      // And the client was told about prompts and resources, not only tools.
      await eventually(() => {
        expect(heard.prompts).toBeGreaterThan(0);
        expect(heard.resources).toBeGreaterThan(0);
      }, 5000);
    } finally {
      await client.close();
    }
  });
});

describe('every method waits for a service still starting (defect 4)', () => {
  it('prompts/get, resources/read, completion/complete and resources/subscribe right after initialize', async () => {
    const config = await writeConfig({
      mcpServers: {
        slow: { command: process.execPath, args: [DELAYED, EVERYTHING, 'stdio'], env: { DELAY_MS: '1500' } },
      },
      toolscope: { discovery: { smartWaitLocalMs: 15_000 } },
    });
    const client = await stdioClient(process.execPath, [CLI, 'gateway', '--config', config]);
    try {
      // No list first: the first thing the client does needs the service that is still starting.
      const [prompt, read, completion, subscribed] = await Promise.all([
        client.client.getPrompt({ name: 'slow_simple-prompt' }),
        client.client.readResource({ uri: 'demo://resource/dynamic/text/1' }),
        client.client.request(
          {
            method: 'completion/complete',
            params: {
              ref: { type: 'ref/prompt', name: 'slow_completable-prompt' },
              argument: { name: 'department', value: 'Eng' },
            },
          },
          CompleteResultSchema,
        ),
        client.client.subscribeResource({ uri: 'demo://resource/dynamic/text/2' }),
      ]);
      expect(prompt.messages.length).toBeGreaterThan(0);
      expect(read.contents).toHaveLength(1);
      expect(completion.completion.values).toEqual(['Engineering']);
      expect(subscribed).toEqual({});
    } finally {
      await client.close();
    }
  });
});

describe('resource URIs reach the service that owns them (defect 5)', () => {
  it('the proxy forwards any URI; a link a tool just returned can be read', async () => {
    const proxy = await stdioClient(process.execPath, [
      CLI,
      'proxy',
      '--',
      process.execPath,
      EVERYTHING,
      'stdio',
    ]);
    try {
      const data = `data:text/plain;base64,${Buffer.from('just made').toString('base64')}`;
      const made = await proxy.client.callTool({
        name: 'gzip-file-as-resource',
        arguments: { name: 'fresh.gz', data, outputType: 'resourceLink' },
      });
      const link = (made.content as Array<{ type: string; uri?: string }>).find(
        (c) => c.type === 'resource_link',
      );
      expect(link?.uri).toBe('demo://resource/session/fresh.gz');
      // Read at once: before any list refresh could know it.
      const read = await proxy.client.readResource({ uri: link?.uri as string });
      expect(read.contents).toHaveLength(1);
      // Unknown to everyone: the server's own answer, not toolscope's refusal.
      const unknown = await proxy.client
        .readResource({ uri: 'demo://nowhere/at/all' })
        .catch((e: Error) => e);
      expect(String(unknown)).not.toContain('Resource not found: demo://nowhere');
    } finally {
      await proxy.close();
    }
  });

  it('the gateway forwards an unlisted URI when only one service can own it', async () => {
    const config = await writeConfig({
      mcpServers: {
        fixture: { command: process.execPath, args: [FIXTURE] },
        everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] },
      },
    });
    const client = await stdioClient(process.execPath, [CLI, 'gateway', '--config', config]);
    try {
      await client.client.listResources();
      // Only the fixture lists fixture:// URIs: an unlisted one goes there, and its answer comes back.
      await client.client.callTool({ name: 'fixture_add_items', arguments: {} });
      const read = await client.client.readResource({ uri: 'fixture://added/1' });
      expect(read.contents[0]).toMatchObject({ text: 'added resource 1' });
      // Never listed by anyone, but fixture:// is the fixture's: the fixture itself answers.
      const unlisted = await client.client
        .readResource({ uri: 'fixture://never-listed' })
        .catch((e: Error) => e);
      expect(String(unlisted)).toMatch(/Resource fixture:\/\/never-listed not found/);
      // Nobody's: refused by toolscope with -32602, as before.
      const nobody = await client.client.readResource({ uri: 'mystery://thing' }).catch((e: Error) => e);
      expect(String(nobody)).toContain('-32602');
    } finally {
      await client.close();
    }
  });
});
