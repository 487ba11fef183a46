/** A column of a text table. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Right-align (numbers). @default false */
  right?: boolean;
}

/** Render rows as an aligned plain-text table (monospace terminals, logs, CI output). */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => (line[i] as string).length)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, i) =>
        columns[i]?.right ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  const header = render(columns.map((column) => column.header));
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [header, rule, ...cells.map(render)].join('\n');
}

/** `1 service`, `4 services`: a count with its noun (regular plurals only). */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** A point or span of a run in seconds with one decimal (`7.2 s`), for timelines where ms would vary in unit. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Milliseconds for people: `0.42 ms`, `12 ms`, `1.3 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
