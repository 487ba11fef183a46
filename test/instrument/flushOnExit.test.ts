import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/helpers.js';

/** A process that registers flushOnExit with a visible flush, prints "ready", and idles. */
function child(appHandlesSignal: boolean) {
  const script = `
    const { flushOnExit } = await import(${JSON.stringify(join(ROOT, 'dist/instrument/index.js'))});
    flushOnExit({ shutdown: async () => { process.stderr.write('flushed\\n'); } }, 2000);
    ${appHandlesSignal ? "process.on('SIGTERM', () => { process.stderr.write('app handler\\n'); setTimeout(() => process.exit(7), 200); });" : ''}
    setInterval(() => {}, 1000);
    process.stdout.write('ready\\n');
  `;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, ready, exited, stderr: () => stderr };
}

describe('flushOnExit', () => {
  it('flushes on SIGTERM, then dies by the signal as the app would have', async () => {
    const app = child(false);
    await app.ready;
    app.proc.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(app.stderr()).toContain('flushed');
  });

  it('ends a naturally finishing app at the bound, with its exit code, when the flush hangs (dead collector)', async () => {
    const script = `
      const { flushOnExit } = await import(${JSON.stringify(join(ROOT, 'dist/instrument/index.js'))});
      // An export retrying a dead collector: never settles, and its timer holds the event loop.
      flushOnExit({ shutdown: () => { setTimeout(() => {}, 60_000); return new Promise(() => {}); } }, 300);
      process.exitCode = 3;
    `;
    const started = Date.now();
    const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    const code = await new Promise((resolve) => proc.once('exit', resolve));
    expect(code).toBe(3);
    // Far below the 60 s the hanging export would hold it (a busy machine is slow to spawn Node).
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('flushes but leaves the exit to an app that handles SIGTERM itself', async () => {
    const app = child(true);
    await app.ready;
    app.proc.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: 7, signal: null });
    expect(app.stderr()).toContain('flushed');
    expect(app.stderr()).toContain('app handler');
  });
});
