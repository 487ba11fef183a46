import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/index.js';

function issuesOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('accepts a Claude Desktop config as is, with client-specific keys', () => {
    const config = parseConfig({
      mcpServers: {
        filesystem: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'],
          autoApprove: [],
        },
        remote: {
          url: 'https://example.com/mcp',
          headers: { Authorization: 'Bearer x' },
          alwaysAllow: ['a'],
          timeout: 60,
        },
        legacy: { serverUrl: 'https://example.com/sse', transportType: 'sse' },
        off: { command: 'nothing', disabled: true },
      },
    });
    expect(Object.keys(config.servers)).toEqual(['filesystem', 'remote', 'legacy']);
    expect(config.servers.filesystem).toMatchObject({ kind: 'stdio', command: 'npx', env: {} });
    expect(config.servers.remote).toMatchObject({ kind: 'remote', transport: 'http' });
    expect(config.servers.legacy).toMatchObject({
      kind: 'remote',
      transport: 'sse',
      url: 'https://example.com/sse',
    });
  });

  it('applies safe defaults: loopback bind, no content capture', () => {
    const { toolscope } = parseConfig({ mcpServers: {} });
    expect(toolscope.listen.host).toBe('127.0.0.1');
    expect(toolscope.telemetry.captureArguments).toBe(false);
    expect(toolscope.telemetry.captureResults).toBe(false);
  });

  it('names the path of every bad field and what was expected', () => {
    const issues = issuesOf(() =>
      parseConfig({
        mcpServers: { good: { command: 'x' }, bad: { args: ['no command'] }, worse: { command: 7 } },
        toolscope: { listen: { port: 'eighty' }, typo: true },
      }),
    );
    expect(issues).toContain(
      'mcpServers.bad: expected either "command" (stdio server) or "url" (remote server)',
    );
    expect(issues).toContain('mcpServers.worse.command: Invalid input: expected string, received number');
    expect(issues.some((issue) => issue.startsWith('toolscope.listen.port:'))).toBe(true);
    expect(issues).toContain('toolscope: Unrecognized key: "typo"');
  });

  it('exports every trace by default, and refuses a sampling ratio, class or Jaeger URL it cannot use', () => {
    const { toolscope } = parseConfig({ mcpServers: {} });
    expect(toolscope.telemetry.sampling).toEqual({
      ratio: 1,
      keep: ['errors', 'anomalies', 'slow'],
      bufferSpans: 10_000,
    });
    const issues = issuesOf(() =>
      parseConfig({
        mcpServers: {},
        toolscope: {
          telemetry: {
            sampling: { ratio: 2, keep: ['errors', 'boring'], bufferSpans: 4, rate: 0.1 },
            jaegerUrl: 'javascript:alert(1)',
          },
        },
      }),
    );
    for (const issue of [
      'toolscope.telemetry.sampling.ratio: Too big: expected number to be <=1',
      'toolscope.telemetry.sampling.keep.1: Invalid option: expected one of "errors"|"anomalies"|"slow"',
      'toolscope.telemetry.sampling.bufferSpans: Too small: expected number to be >=16',
      'toolscope.telemetry.sampling: Unrecognized key: "rate"',
      'toolscope.telemetry.jaegerUrl: expected an http(s):// URL',
    ])
      expect(issues).toContain(issue);
  });

  it('refuses an agent that names an unknown service', () => {
    const issues = issuesOf(() =>
      parseConfig({
        mcpServers: { good: { command: 'x' } },
        toolscope: { agents: { a: { services: ['good', 'missing'] } } },
      }),
    );
    expect(issues).toEqual(['toolscope.agents.a.services.1: unknown service "missing" (known: good)']);
  });

  it('substitutes ${VAR}, ${VAR:-default} and ${env:VAR}, and refuses unset variables', () => {
    const config = parseConfig(
      { mcpServers: { s: { command: '${CMD}', args: ['${env:ARG}', '${MISSING:-fallback}'] } } },
      { env: { CMD: 'node', ARG: 'server.js' } },
    );
    expect(config.servers.s).toMatchObject({ command: 'node', args: ['server.js', 'fallback'] });
    expect(issuesOf(() => parseConfig({ mcpServers: { s: { command: '${NOPE}' } } }, { env: {} }))).toEqual([
      'mcpServers.s.command: environment variable NOPE is not set',
    ]);
  });

  it('reads JSONC files (VS Code mcp.json style: "servers", comments, trailing commas)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'toolscope-config-'));
    const file = join(dir, 'mcp.json');
    await writeFile(
      file,
      '{\n  // my servers\n  "servers": { "a": { "type": "stdio", "command": "x", /* inline */ "args": ["y",], }, },\n}\n',
    );
    const config = await loadConfig(file);
    expect(config.servers.a).toMatchObject({ command: 'x', args: ['y'] });
    expect(config.baseDir).toBe(dir);
  });

  it('reports a missing file and bad JSON clearly', async () => {
    await expect(loadConfig('/nonexistent/toolscope.json')).rejects.toThrow('file not found');
    const dir = await mkdtemp(join(tmpdir(), 'toolscope-config-'));
    await writeFile(join(dir, 'bad.json'), '{ "mcpServers": ');
    await expect(loadConfig(join(dir, 'bad.json'))).rejects.toThrow('not valid JSON');
  });
});
