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
 * A parent that idles while its child burns a fixed amount of CPU when told to (a hop and its server,
 * in miniature). The child measures its own CPU (process.cpuUsage) and reports it: the truth the
 * /proc reading is compared with. A CPU amount rather than a wall-clock stretch, so a busy machine
 * only makes the burn take longer, never changes what is measured.
 */
const BURN_MICROS = 300_000;
const CHILD = `
process.stdout.write('ready\\n');
process.stdin.on('data', (line) => {
  if (String(line).startsWith('stop')) process.exit(0);
  const start = process.cpuUsage();
  let spent = 0;
  while (spent < ${BURN_MICROS}) {
    const used = process.cpuUsage(start);
    spent = used.user + used.system;
  }
  process.stdout.write('burned ' + spent + '\\n');
});
`;
const PARENT = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', ${JSON.stringify(CHILD)}], { stdio: ['pipe', 'pipe', 'inherit'] });
child.stdout.on('data', (chunk) => process.stdout.write(chunk));
process.stdin.on('data', (chunk) => child.stdin.write(chunk));
child.on('exit', () => process.exit(0));
`;

/** The next line the parent prints. */
function nextLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      stream.off('data', onData);
      resolve(text.split('\n')[0] as string);
    };
    stream.on('data', onData);
  });
}

describe('bench/lib/processCpu (the hop bench CPU table)', () => {
  // Linux only, like the bench (CI and these machines are Linux).
  it("tells a process's own CPU from its descendants' over a measured stretch", async () => {
    const parent = spawn(process.execPath, ['-e', PARENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      expect(await nextLine(parent.stdout)).toBe('ready');
      const before = treeCpu(parent.pid);
      const burned = nextLine(parent.stdout);
      parent.stdin.write('burn\n');
      const childMicros = Number((await burned).replace('burned ', ''));
      const after = treeCpu(parent.pid);
      const spent = cpuSpent(before, after, 1);
      expect(spent).toBeDefined();
      // The child's CPU, as it measured it itself (plus a little for reading the line and answering).
      expect(childMicros).toBeGreaterThanOrEqual(BURN_MICROS);
      expect(spent?.descendants).toBeGreaterThan(childMicros * 0.9);
      expect(spent?.descendants).toBeLessThan(childMicros + 100_000);
      // The parent only passed two lines on.
      expect(spent?.own).toBeLessThan(childMicros * 0.2);
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
