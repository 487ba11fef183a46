import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
// The hop bench's CPU table reads the hop and its server from /proc with this helper (it walks the
// tree with toolscope's LinuxProcReader from dist/, which `npm test` builds first).
const { treeCpu, cpuSpent } = (await import(join(ROOT, 'bench/lib/processCpu.mjs'))) as {
  treeCpu(pid: number | undefined): { own: number; descendants: number } | undefined;
  cpuSpent(
    before: { own: number; descendants: number } | undefined,
    after: { own: number; descendants: number } | undefined,
    calls: number,
  ): { own: number; descendants: number } | undefined;
};

/**
 * A parent that idles while its child burns CPU until told to stop (a hop and its server, in
 * miniature); both print "ready" once running.
 */
const PARENT = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', "process.stdout.write('ready\\\\n'); let stop = false; process.stdin.on('data', () => { stop = true; }); (function burn() { const end = Date.now() + 20; while (Date.now() < end); if (!stop) setImmediate(burn); else process.exit(0); })();"], { stdio: ['pipe', 'pipe', 'inherit'] });
child.stdout.once('data', () => process.stdout.write('ready\\n'));
process.stdin.on('data', () => child.stdin.write('stop\\n'));
child.on('exit', () => process.exit(0));
`;

describe('bench/lib/processCpu (the hop bench CPU table)', () => {
  // Linux only, like the bench (CI and these machines are Linux).
  it("tells a process's own CPU from its descendants' over a measured stretch", async () => {
    const parent = spawn(process.execPath, ['-e', PARENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await once(parent.stdout, 'data');
      const before = treeCpu(parent.pid);
      const started = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 400));
      const after = treeCpu(parent.pid);
      const wallMicros = (performance.now() - started) * 1000;
      const spent = cpuSpent(before, after, 1);
      expect(spent).toBeDefined();
      // The child burned CPU for the stretch (as much as the machine gave it: on a loaded machine that is
      // a small share of one CPU, so no bound relative to wall time from below); the parent slept.
      expect(spent?.descendants).toBeGreaterThan(1000);
      expect(spent?.descendants).toBeGreaterThan(10 * (spent?.own ?? Number.POSITIVE_INFINITY));
      expect(spent?.descendants).toBeLessThan(wallMicros * 1.1);
      expect(spent?.own).toBeLessThan(wallMicros * 0.1);
    } finally {
      parent.stdin.write('stop\n');
      await once(parent, 'exit');
    }
  });

  it('reads nothing for a process that is not there', () => {
    expect(treeCpu(undefined)).toBeUndefined();
    expect(treeCpu(2 ** 22 + 12345)).toBeUndefined();
    expect(cpuSpent(undefined, { own: 1, descendants: 1 }, 1)).toBeUndefined();
  });
});
