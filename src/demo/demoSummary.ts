import { type Column, formatMs, formatSeconds, formatTable } from '../cli/formatTable.js';
import { cpuPerCall, type StatusSnapshot, type ToolStatus } from '../dashboard/index.js';
import type { WorkloadProgress } from './DemoWorkload.js';

/** What the closing summary is made of. */
export interface DemoSummaryInput {
  /** The runtime's status at the end of the run (series not needed). */
  status: StatusSnapshot;
  /** Epoch ms the workload started: event times are shown relative to it. */
  runStart: number;
  durationMs: number;
  workload: WorkloadProgress;
  /** The scripted incident, ms into the run. */
  incident: { startMs: number; endMs: number } | undefined;
  /** Base URL of the gateway's listener. */
  url: string;
  /** The dashboard stays up after the summary (`--open`). */
  lingering: boolean;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, when set. */
  otlpEndpoint?: string;
  /** OTEL_SERVICE_NAME, when set. */
  serviceName?: string;
  /** @default 80 */
  width?: number;
}

/**
 * Wrap words to `width`: the first line keeps the text's own indent and spacing
 * (aligned columns stay aligned), continuation lines start with `indent`.
 */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  const lead = /^\s*/.exec(text)?.[0] ?? '';
  // Words with the spaces before them, so runs of spaces survive where no break falls.
  const parts = [...text.slice(lead.length).matchAll(/(\s*)(\S+)/g)];
  let line = lead;
  let empty = true;
  for (const [, space, word] of parts) {
    const candidate = empty ? `${line}${word}` : `${line}${space}${word}`;
    if (!empty && [...candidate].length > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = candidate;
    }
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines;
}

const DETECTOR_WORDS: Record<string, string> = {
  zscore: 'z-scores',
  errors: 'error rate',
  forest: 'isolation forest',
  memory: 'memory growth',
  load: 'load',
};

function toolTable(tools: readonly ToolStatus[]): string {
  const columns: Column<ToolStatus>[] = [
    { header: 'tool', value: (t) => t.name },
    { header: 'calls', value: (t) => String(t.calls), right: true },
    { header: 'errors', value: (t) => String(t.errors + t.toolErrors), right: true },
    { header: 'p50', value: (t) => formatMs(t.p50), right: true },
    { header: 'p95', value: (t) => formatMs(t.p95), right: true },
    { header: 'p99', value: (t) => formatMs(t.p99), right: true },
    { header: 'cpu/call', value: (t) => cpuPerCall(t), right: true },
  ];
  return formatTable(tools, columns);
}

/**
 * The demo's closing summary, readable in 80 columns: per-tool latency and CPU,
 * the anomaly the analyzer found (when, which features, what to do), the alerts,
 * the pool decisions, the profile captured, and where to look next.
 */
export function demoSummary(input: DemoSummaryInput): string {
  const width = input.width ?? 80;
  const { status, runStart } = input;
  const at = (time: number) => formatSeconds(time - runStart);
  const nameOf = new Map(status.tools.map((tool) => [tool.key, tool.name]));
  const out: string[] = ['', toolTable(status.tools), ''];
  out.push(
    `${input.workload.sent} calls in ${(input.durationMs / 1000).toFixed(0)} s; ` +
      `${input.workload.failed} answered with a JSON-RPC error.`,
    '',
  );

  out.push(status.anomalies.length === 1 ? 'Anomaly found' : `Anomalies found: ${status.anomalies.length}`);
  if (status.anomalies.length === 0)
    out.push(input.incident ? '  none' : '  none (the incident was off: run without --no-incident)');
  for (const episode of status.anomalies) {
    const until = episode.end === undefined ? 'still open at the end' : `to ${at(episode.end)}`;
    out.push(
      ...wrap(
        `  ${nameOf.get(episode.key) ?? episode.key}: ${episode.class === 'overload' ? 'overload' : 'fault'}` +
          `${episode.detector ? ` (${DETECTOR_WORDS[episode.detector] ?? episode.detector})` : ''}, ` +
          `${episode.severity}, from ${at(episode.start)} ${until}`,
        width,
        '    ',
      ),
    );
    if (input.incident)
      out.push(
        `  (the scripted incident ran from ${formatSeconds(input.incident.startMs)} to ${formatSeconds(input.incident.endMs)})`,
      );
    const features = [...new Set(episode.deviations.map((d) => d.feature))];
    if (features.length > 0) out.push(...wrap(`  features: ${features.join(', ')}`, width, '    '));
    for (const reason of episode.reasons.slice(0, 3)) out.push(...wrap(`  why: ${reason}`, width, '    '));
    for (const hint of episode.recommendations.slice(0, 2)) out.push(...wrap(`  → ${hint}`, width, '    '));
  }
  out.push('');

  const fired = status.alerts.recent.filter((event) => event.status === 'firing');
  out.push(fired.length === 1 ? 'Alert' : `Alerts: ${fired.length}`);
  if (fired.length === 0) out.push('  none');
  for (const event of fired) {
    const resolved = status.alerts.recent.find(
      (other) => other.id === event.id && other.status === 'resolved',
    );
    out.push(
      ...wrap(
        `  ${event.level} ${event.rule} on ${event.subject}: fired at ${at(event.time)}` +
          (resolved ? `, resolved at ${at(resolved.time)}` : ', still firing'),
        width,
        '    ',
      ),
      ...wrap(`    ${event.summary}`, width, '    '),
    );
  }
  out.push('');

  // Holds and the tuner's routine re-measurement dips (no-load probes) are bookkeeping, not decisions a reader needs.
  const routine = new Set(['no_load_probe', 'probe_end']);
  const decisions = status.tuning.decisions.filter(
    (decision) => decision.direction !== 'hold' && !routine.has(decision.reason),
  );
  out.push('Pool decisions');
  if (!status.tuning.enabled) out.push('  none: tuning is off, every pool kept its configured limit');
  else if (decisions.length === 0) out.push('  none: every pool kept its limit');
  const shown =
    decisions.length > 8 ? [...decisions.slice(0, 4), undefined, ...decisions.slice(-3)] : decisions;
  for (const decision of shown) {
    if (!decision) {
      out.push(`  … ${decisions.length - 7} more`);
      continue;
    }
    out.push(
      ...wrap(
        `  ${at(decision.time)}  ${decision.poolId} ${decision.previousLimit} → ${decision.newLimit}` +
          ` (${decision.reason})${decision.applied ? '' : ' [dry run]'}`,
        width,
        '      ',
      ),
    );
  }
  // Why the tuner acted, or held: its last judgement of each pool it had reason to question.
  for (const judgement of status.tuning.enabled ? status.tuning.judgements : []) {
    out.push(...wrap(`  why: ${judgement.message}`, width, '       '));
  }
  out.push('');

  for (const profile of status.profiles.recent) {
    out.push(`CPU profile (${profile.reason === 'anomaly' ? 'captured on the anomaly' : 'on demand'})`);
    out.push(...wrap(`  ${profile.path}`, width, '  '));
    const hottest = profile.top
      .filter((fn) => !fn.functionName.startsWith('('))
      .slice(0, 3)
      .map((fn) => `${fn.functionName} ${(fn.selfShare * 100).toFixed(0)} %`);
    if (hottest.length > 0) out.push(...wrap(`  hottest: ${hottest.join(', ')}`, width, '    '));
    out.push('');
  }

  out.push('Where to look');
  out.push(
    `  dashboard  ${input.url}/`,
    input.lingering
      ? '             (stays up until Ctrl-C)'
      : '             (live while the demo runs; --open keeps it up)',
    `  metrics    ${input.url}/metrics`,
    `  status     ${input.url}/status  ·  toolscope status | top | export`,
  );
  if (input.otlpEndpoint) {
    out.push(
      ...wrap(
        `  traces     sent to ${input.otlpEndpoint}; in Jaeger (e.g. http://localhost:16686) pick the service ` +
          `"${input.serviceName ?? 'toolscope'}" and look for tools/call storage_fetch_record`,
        width,
        '             ',
      ),
    );
  } else {
    out.push(
      ...wrap('  traces     set OTEL_EXPORTER_OTLP_ENDPOINT to send them to Jaeger', width, '             '),
    );
  }
  return `${out.join('\n')}\n`;
}
