// Small statistics and reporting helpers shared by the benchmarks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH_DIR);

/** Nearest-rank percentile of an array of numbers (does not modify it). */
export function percentile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  return percentile(values, 0.5);
}

/** A markdown table from a header row and rows of cells. */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Format a number with a fixed number of decimals (or '—' when not finite). */
export function fmt(value, digits = 2) {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** Write a benchmark's markdown section to bench/results/<name>.md and print it. */
export function report(name, markdown) {
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.md`), `${markdown.trim()}\n`);
  process.stdout.write(`\n${markdown.trim()}\n`);
}

/** Progress on stderr for long runs. */
export function progress(message) {
  process.stderr.write(`[bench] ${message}\n`);
}
