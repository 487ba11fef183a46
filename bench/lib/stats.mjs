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

/**
 * Write a benchmark's markdown section to bench/results/<name>.md and print it. `targets` (each
 * `{ target, value, spread?, met? }`, `met` left out for a figure that is only reported) go to
 * <name>.targets.json, from which bench/run.mjs builds the table of targets on every runtime.
 */
export function report(name, markdown, targets) {
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.md`), `${markdown.trim()}\n`);
  if (targets) writeFileSync(join(dir, `${name}.targets.json`), `${JSON.stringify(targets, null, 2)}\n`);
  process.stdout.write(`\n${markdown.trim()}\n`);
}

/** The lowest and highest of `values` (or the `q`…1−`q` percentiles), formatted as `a–b`. */
export function spread(values, digits = 2, q = 0) {
  return `${fmt(percentile(values, q), digits)}–${fmt(percentile(values, 1 - q), digits)}`;
}

/** Progress on stderr for long runs. */
export function progress(message) {
  process.stderr.write(`[bench] ${message}\n`);
}
