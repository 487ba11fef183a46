import { execFile } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/helpers.js';

const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const FIXTURE = join(ROOT, 'test/setup/fixture');

/** The fixture run: the real global setup and skip reporter on three tests, two of which need Chromium. */
async function fixtureRun(env: Record<string, string | undefined>) {
  const { CI: _ci, ...base } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [VITEST, 'run', '--root', FIXTURE, '--config', join(FIXTURE, 'vitest.config.ts')],
      { cwd: ROOT, env: { ...base, NO_COLOR: '1', FORCE_COLOR: '0', ...env }, timeout: 120_000 },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? 1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

describe('the test setup (a fresh machine runs npm test as is)', () => {
  it('keeps instance records and learned state out of the user’s home', () => {
    const home = process.env.TOOLSCOPE_HOME ?? '';
    expect(relative(tmpdir(), home).startsWith('..')).toBe(false);
    expect(relative(homedir(), home).startsWith('..') || home.startsWith(tmpdir())).toBe(true);
    for (const variable of ['XDG_DATA_HOME', 'XDG_STATE_HOME'])
      expect(process.env[variable]?.startsWith(home), variable).toBe(true);
  });

  it('skips the tests of a missing Debian package with one counted notice; the others run', async () => {
    const { code, output } = await fixtureRun({ TOOLSCOPE_TEST_PRETEND_MISSING: 'chromium' });
    expect(code, output).toBe(0);
    expect(output).toMatch(/Tests\s+1 passed \| 2 skipped/);
    expect(output.match(/SKIPPED, not passed/g)).toHaveLength(1);
    expect(output).toContain('toolscope: 2 tests SKIPPED, not passed (2 need chromium)');
    expect(output).toContain('sudo apt-get install chromium');
  }, 130_000);

  it('fails the run under CI instead of skipping', async () => {
    const { code, output } = await fixtureRun({ TOOLSCOPE_TEST_PRETEND_MISSING: 'chromium', CI: 'true' });
    expect(code).not.toBe(0);
    expect(output).toContain('CI must run every test');
  }, 130_000);
});
