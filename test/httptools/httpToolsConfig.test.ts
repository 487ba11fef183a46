import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';

function issuesOf(
  toolscope: Record<string, unknown>,
  mcpServers: Record<string, unknown> = {},
): readonly string[] {
  try {
    parseConfig({ mcpServers, toolscope }, { env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('toolscope.httpTools config', () => {
  it('accepts a service with defaults filled in', () => {
    const config = parseConfig(
      {
        toolscope: {
          httpTools: { api: { baseUrl: 'https://a.example', tools: { get: { url: '/x/{id}' } } } },
        },
      },
      { env: {} },
    );
    expect(config.toolscope.httpTools.api?.tools.get).toMatchObject({
      method: 'GET',
      response: 'auto',
      bodyEncoding: 'json',
      headers: {},
    });
    expect(config.toolscope.httpTools.api?.maxResponseBytes).toBe(1024 * 1024);
    expect(config.toolscope.logging).toEqual({ level: 'info', otlp: false });
  });

  it('refuses bad tools with the path of each bad field', () => {
    const issues = issuesOf({
      httpTools: {
        api: {
          tools: {
            relative: { url: '/x' },
            host: { url: 'https://{tenant}.example.com/x' },
            body: { url: 'https://a.example/x', body: { a: 1 } },
            undeclared: {
              url: 'https://a.example/x/{id}',
              inputSchema: { type: 'object', properties: { other: { type: 'string' } } },
            },
          },
        },
      },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        'toolscope.httpTools.api.tools.relative.url: a relative URL needs the service\'s "baseUrl"',
        expect.stringMatching(
          /^toolscope\.httpTools\.api\.tools\.host\.url: .*may not choose the scheme, host or port/,
        ),
        'toolscope.httpTools.api.tools.body.body: GET has no body',
        "toolscope.httpTools.api.tools.undeclared.url: uses {id}, which the tool's inputSchema does not declare",
      ]),
    );
  });

  it('refuses an HTTP method it does not know', () => {
    const issues = issuesOf({
      httpTools: { api: { tools: { trace: { url: 'https://a.example/x', method: 'TRACE' } } } },
    });
    expect(issues[0]).toMatch(/^toolscope\.httpTools\.api\.tools\.trace\.method: Invalid option/);
  });

  it('keeps service names unique across mcpServers and httpTools, and lets agents use HTTP services', () => {
    const issues = issuesOf(
      {
        httpTools: { fs: { baseUrl: 'https://a.example', tools: { t: { url: '/t' } } } },
        agents: { bot: { services: ['fs', 'nope'] } },
      },
      { fs: { command: 'x' } },
    );
    expect(issues).toContain(
      'toolscope.httpTools.fs: "fs" is already a server in mcpServers; service names must be unique',
    );
    expect(issues).toContain('toolscope.agents.bot.services.1: unknown service "nope" (known: fs, fs)');
    expect(
      issuesOf({
        httpTools: { weather: { baseUrl: 'https://a.example', tools: { t: { url: '/t' } } } },
        agents: { bot: { services: ['weather'] } },
      }),
    ).toEqual([]);
  });
});
