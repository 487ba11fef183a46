import { formatMs } from '../cli/formatTable.js';

export { formatMs };

/** CPU time for people: `850 µs`, `12.3 ms`; `—` when unknown. */
export function formatMicros(micros: number | null | undefined): string {
  if (micros === null || micros === undefined || !Number.isFinite(micros)) return '—';
  return micros < 1000 ? `${Math.round(micros)} µs` : formatMs(micros / 1000);
}

/**
 * A tool's CPU per call as a table shows it: exact for tools in toolscope's process, `≈` an
 * estimate for tools in another process (their process's CPU during a call, shared among the calls
 * in flight).
 */
export function cpuPerCall(tool: {
  cpuMicrosPerCall: number | null;
  cpuKind: 'call' | 'process_share' | null;
}): string {
  const value = formatMicros(tool.cpuMicrosPerCall);
  return tool.cpuKind === 'process_share' && value !== '—' ? `≈${value}` : value;
}

/** Bytes for people: `512 B`, `12 KiB`, `3.4 MiB`; `—` when unknown. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (abs >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (abs >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** A span of time for people: `42 s`, `3m 12s`, `5h 03m`, `2d 4h`. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Wall-clock time of day, `HH:MM:SS`, in the local time zone. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** A share for people: `0.0 %`, `12 %`. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  const pct = fraction * 100;
  return pct < 10 ? `${pct.toFixed(1)} %` : `${Math.round(pct)} %`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of the last `width` values (gaps as spaces), scaled to their own max. */
export function sparkline(values: ReadonlyArray<number | null>, width: number): string {
  const tail = values.slice(-width);
  const finite = tail.filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(0, ...finite);
  return tail
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (max <= 0) return BARS[0];
      return BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1) + 0.5))];
    })
    .join('')
    .padStart(width);
}

/** Cut a line to `width` characters (an ellipsis marks the cut). */
export function truncate(line: string, width: number): string {
  const chars = [...line];
  if (chars.length <= width) return line;
  return width <= 1 ? chars.slice(0, width).join('') : `${chars.slice(0, width - 1).join('')}…`;
}
