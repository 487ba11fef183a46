/**
 * The last bytes a child wrote to stderr, kept for `status` and error messages.
 * Bounded: older output is dropped as new output arrives, so a server that floods
 * stderr costs a fixed amount of memory.
 */
export class StderrTail {
  readonly #maxBytes: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #total = 0;

  constructor(maxBytes = 16 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** Total bytes ever written (not only those kept). */
  get totalBytes(): number {
    return this.#total;
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    const kept = chunk.length > this.#maxBytes ? chunk.subarray(chunk.length - this.#maxBytes) : chunk;
    // Copy: the stream may reuse its buffer, and a view would pin the whole read buffer.
    this.#chunks.push(Buffer.from(kept));
    this.#bytes += kept.length;
    while (this.#bytes > this.#maxBytes && this.#chunks.length > 1) {
      const dropped = this.#chunks.shift() as Buffer;
      this.#bytes -= dropped.length;
    }
  }

  /** The kept output as text, starting at a line boundary when one is available. */
  text(): string {
    const text = Buffer.concat(this.#chunks).toString('utf8');
    if (this.#total <= this.#maxBytes) return text;
    const firstNewline = text.indexOf('\n');
    return firstNewline === -1 ? text : text.slice(firstNewline + 1);
  }

  /** The last `count` lines. */
  lines(count: number): string[] {
    const lines = this.text().split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-count);
  }
}
