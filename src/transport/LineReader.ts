/**
 * Splits a byte stream into newline-delimited lines (the MCP stdio framing) with
 * bounded memory: chunks are kept as a list and joined once per line (no
 * quadratic re-concatenation), and a line longer than `maxLineBytes` is dropped
 * as it streams in, keeping only its first bytes so the sender can be told which
 * message was refused.
 */
export class LineReader {
  readonly #maxLineBytes: number;
  readonly #onLine: (line: Buffer) => void;
  readonly #onOversize: (head: Buffer, totalBytes: number) => void;
  #chunks: Buffer[] = [];
  #length = 0;
  /** While true we are inside an oversized line and drop bytes until the next newline. */
  #discarding = false;
  #discarded = 0;
  #head: Buffer = Buffer.alloc(0);

  /** Bytes of an oversized line kept for diagnostics (enough to read its `id`). */
  static readonly HEAD_BYTES = 256;

  constructor(
    maxLineBytes: number,
    onLine: (line: Buffer) => void,
    onOversize: (head: Buffer, totalBytes: number) => void,
  ) {
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
    this.#onOversize = onOversize;
  }

  /** Bytes buffered for the current, unfinished line. */
  get bufferedBytes(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      if (this.#discarding) {
        this.#discarded += piece.length;
      } else if (this.#length + piece.length > this.#maxLineBytes) {
        this.#startDiscarding(piece);
      } else if (piece.length > 0) {
        this.#chunks.push(piece);
        this.#length += piece.length;
      }
      if (newline === -1) return;
      this.#endLine();
      start = newline + 1;
    }
  }

  #startDiscarding(piece: Buffer): void {
    const parts = [...this.#chunks, piece];
    const joined = Buffer.concat(parts, Math.min(this.#length + piece.length, LineReader.HEAD_BYTES * 2));
    this.#head = Buffer.from(joined.subarray(0, LineReader.HEAD_BYTES));
    this.#discarded = this.#length + piece.length;
    this.#chunks = [];
    this.#length = 0;
    this.#discarding = true;
  }

  #endLine(): void {
    if (this.#discarding) {
      this.#discarding = false;
      const head = this.#head;
      const total = this.#discarded;
      this.#head = Buffer.alloc(0);
      this.#discarded = 0;
      this.#onOversize(head, total);
      return;
    }
    if (this.#length === 0) return;
    const chunks = this.#chunks;
    let line = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.#length);
    this.#chunks = [];
    this.#length = 0;
    if (line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    if (line.length > 0) this.#onLine(line);
  }
}

/** Read the JSON-RPC `id` from the start of a message that was too large to parse. */
export function peekMessageId(head: Buffer): string | number | null {
  const text = head.toString('utf8');
  const match = /"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")/.exec(text);
  if (!match?.[1]) return null;
  const raw = match[1];
  if (raw.startsWith('"')) {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return null;
    }
  }
  return Number(raw);
}
