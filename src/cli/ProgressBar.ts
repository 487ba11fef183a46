import type { Writable } from 'node:stream';

/**
 * Progress for long-running commands. On a terminal it redraws one line; when
 * the output is a file or pipe (CI logs) it prints a line every few seconds,
 * through `log` when given (so it has the format of the command's other log lines).
 */
export class ProgressBar {
  readonly #out: Writable & { isTTY?: boolean };
  readonly #width: number;
  #lastPlain = -Infinity;

  readonly #log: ((line: string) => void) | undefined;

  constructor(
    out: Writable & { isTTY?: boolean } = process.stderr,
    width = 28,
    log?: (line: string) => void,
  ) {
    this.#out = out;
    this.#width = width;
    this.#log = log;
  }

  update(fraction: number, label: string): void {
    const done = Math.max(0, Math.min(1, fraction));
    if (this.#out.isTTY) {
      const filled = Math.round(done * this.#width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(this.#width - filled)}`;
      this.#out.write(`\r${bar} ${String(Math.round(done * 100)).padStart(3)}%  ${label}\u001b[K`);
      return;
    }
    const now = performance.now();
    if (now - this.#lastPlain >= 5000 || done >= 1) {
      this.#lastPlain = now;
      const line = `[${String(Math.round(done * 100)).padStart(3)}%] ${label}`;
      if (this.#log) this.#log(line);
      else this.#out.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.#out.isTTY) this.#out.write('\n');
  }
}
