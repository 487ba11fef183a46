import type { DestinationStream } from 'pino';

/** Fields of a pino line that the text line shows in its own places, or not at all. */
const SHOWN_APART = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function clock(time: unknown): string {
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : Date.now());
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (typeof value === 'object' && value !== null && 'message' in value && 'type' in value)
    return JSON.stringify((value as { message: unknown }).message);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * One pino JSON line as one line of text for a person at a terminal:
 * `17:20:01.123 warn  message  key=value …` (local time; fields after the message).
 * A line that is not JSON passes through as it is.
 */
export function formatTextLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const fields = Object.entries(record)
    .filter(([key, value]) => !SHOWN_APART.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldValue(value)}`);
  const level = String(record.level ?? 'info').padEnd(5);
  const message = String(record.msg ?? '');
  return `${clock(record.time)} ${level} ${message}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}\n`;
}

/** A pino destination that writes each record as text (see {@link formatTextLine}) to `target`. */
export class TextLogStream implements DestinationStream {
  readonly #target: DestinationStream;

  constructor(target: DestinationStream) {
    this.#target = target;
  }

  write(line: string): void {
    this.#target.write(formatTextLine(line));
  }
}
