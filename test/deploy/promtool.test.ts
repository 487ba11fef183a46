import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../setup/needs.js';
import { alertingRules, filesIn, PATHS, ROOT, recordingRules } from './deployFiles.js';

/*
 * promtool (Debian's prometheus package, installed by the test setup) checks the shipped
 * Prometheus config and rules, and runs the rules' unit tests in collector/tests.
 */

const run = promisify(execFile);

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: ROOT, timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT')
      throw new Error('promtool is not installed: run `apt-get install -y prometheus`');
    return { code: Number(failure.code ?? 1), output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

const rel = (path: string) => relative(ROOT, path);

describe('promtool', () => {
  needs('prometheus');
  let scratch = '';
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'toolscope-promtool-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('check config: collector/prometheus.yml and the rule files it loads are valid', async () => {
    const { code, output } = await promtool('check', 'config', rel(PATHS.prometheus));
    expect(output).toContain('is valid prometheus config file syntax');
    // check config also checks every rule file the config loads.
    for (const file of filesIn(PATHS.rulesDir, '.yml')) expect(output).toContain(`Checking ${rel(file)}`);
    expect(code, output).toBe(0);
  });

  it('check rules: every rule file is valid and holds the rules the tests know about', async () => {
    const files = filesIn(PATHS.rulesDir, '.yml').map(rel);
    const { code, output } = await promtool('check', 'rules', ...files);
    expect(code, output).toBe(0);
    const counted = [...output.matchAll(/SUCCESS: (\d+) rules found/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    expect(counted).toBe(recordingRules().length + alertingRules().length);
  });

  it('test rules: the recording and alerting rules pass their unit tests', async () => {
    const files = filesIn(PATHS.ruleTestsDir, '.yml').map(rel);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const { code, output } = await promtool('test', 'rules', ...files);
    expect(code, output).toBe(0);
    expect(output.match(/SUCCESS/g)?.length).toBe(files.length);
  }, 120_000);

  it('fails on a broken rule and on a failing unit test (the checks can fail)', async () => {
    const broken = join(scratch, 'broken.yml');
    await writeFile(
      broken,
      'groups:\n  - name: x\n    rules:\n      - record: a:b:c\n        expr: sum by (le (x)\n',
    );
    expect((await promtool('check', 'rules', broken)).code).not.toBe(0);

    const rules = join(scratch, 'rules.yml');
    await writeFile(
      rules,
      'groups:\n  - name: x\n    rules:\n      - record: job:x:sum\n        expr: sum(x)\n',
    );
    const test = join(scratch, 'test.yml');
    await writeFile(
      test,
      [
        'rule_files: [rules.yml]',
        'tests:',
        '  - interval: 1m',
        "    input_series: [{ series: 'x{a=\"1\"}', values: '1x5' }]",
        '    promql_expr_test:',
        '      - expr: job:x:sum',
        '        eval_time: 2m',
        "        exp_samples: [{ labels: 'job:x:sum', value: 2 }]",
        '',
      ].join('\n'),
    );
    const result = await promtool('test', 'rules', test);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('FAILED');
  });
});
