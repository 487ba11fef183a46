import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from './helpers.js';

const run = promisify(execFile);

/** Run the CLI; resolves with its exit code and what it wrote (it is expected to fail). */
async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, TOOLSCOPE_CONFIG: '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('the CLI says why it cannot start (issue 18, item 3)', () => {
  it('toolscope gateway without a config: says one is required, exit 2', async () => {
    const text = await cli(['gateway'], { TOOLSCOPE_LOG_FORMAT: 'text' });
    expect(text.code).toBe(2);
    expect(text.stderr).toBe(
      'toolscope: a config file is required: toolscope gateway <config.json> (or -c <file>, or TOOLSCOPE_CONFIG)\n',
    );
    // An agent's log (not a terminal) gets it in the log format: one JSON line.
    const json = await cli(['gateway']);
    expect(json.code).toBe(2);
    const lines = json.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'error',
      msg: expect.stringContaining('a config file is required'),
    });
  });

  it('toolscope proxy -- /nonexistent/server: says the server cannot start, exit 127, nothing on stdout', async () => {
    const missing = await cli(['proxy', '--', '/nonexistent/server'], { TOOLSCOPE_LOG_FORMAT: 'text' });
    expect(missing).toEqual({
      code: 127,
      stdout: '',
      stderr: 'toolscope: proxy cannot start the server: /nonexistent/server: no such file\n',
    });
    const notOnPath = await cli(['proxy', '--', 'no-such-mcp-server-xyz', '--stdio'], {
      TOOLSCOPE_LOG_FORMAT: 'text',
    });
    expect(notOnPath.code).toBe(127);
    expect(notOnPath.stderr).toContain('no-such-mcp-server-xyz: command not found on PATH');
  });

  it('a bad config: every bad field, exit 2', async () => {
    const result = await cli(['gateway', '--config', '/nonexistent/toolscope.json'], {
      TOOLSCOPE_LOG_FORMAT: 'text',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^toolscope: .*\/nonexistent\/toolscope\.json/);
  });
});
