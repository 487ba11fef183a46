import { type Column, formatMs, formatSeconds, formatTable, plural } from '../cli/formatTable.js';
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

/** Less than a tenth of its median latency on CPU: the tool spends its time waiting. */
function waits(tool: ToolStatus): boolean {
  return tool.cpuMicrosPerCall !== null && tool.cpuMicrosPerCall / 1000 < tool.p50 * 0.1;
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
 * What the errors column is made of, and the calls no row shows: the workload sends
 * bad arguments and a misspelled tool on purpose, as models do.
 */
function errorLines(tools: readonly ToolStatus[], workload: WorkloadProgress, width: number): string[] {
  const sum = (of: (tool: ToolStatus) => number) => tools.reduce((total, tool) => total + of(tool), 0);
  const badArguments = sum((tool) => tool.errorTypes.invalid_params ?? 0);
  const toolErrors = sum((tool) => tool.errorTypes.tool_error ?? 0);
  const other = sum((tool) => tool.errors + tool.toolErrors) - badArguments - toolErrors;
  const badTools = tools.filter((tool) => (tool.errorTypes.invalid_params ?? 0) > 0).map((t) => t.name);
  const out = [`${workload.sent} calls in ${(workload.durationMs / 1000).toFixed(0)} s. The errors column:`];
  const item = (text: string) => out.push(...wrap(`  ${text}`, width, '    '));
  if (badArguments > 0)
    item(
      `${plural(badArguments, 'call')} with bad arguments, sent on purpose` +
        `${badTools.length > 0 ? ` (${badTools.join(', ')})` : ''}: toolscope answers isError: true ` +
        'naming the bad field, before the tool runs',
    );
  if (toolErrors > 0)
    item(`${plural(toolErrors, 'tool error')} the demo's tools return (an unknown city, a refused order)`);
  if (other > 0) {
    const types = new Map<string, number>();
    for (const tool of tools)
      for (const [type, count] of Object.entries(tool.errorTypes))
        if (type !== 'invalid_params' && type !== 'tool_error')
          types.set(type, (types.get(type) ?? 0) + count);
    const detail = [...types].map(([type, count]) => `${type} ${count}`).join(', ');
    item(`${plural(other, 'other failure')}${detail ? ` (${detail})` : ''}`);
  }
  if (badArguments + toolErrors + other === 0) item('no failed calls');
  if (workload.unknownTool > 0)
    out.push(
      ...wrap(
        `${plural(workload.unknownTool, 'call')} to lookup_cty, a misspelled tool sent on purpose, got the ` +
          'JSON-RPC error -32602 naming the closest tools; they have no row above.',
        width,
      ),
    );
  const refused = workload.failed - workload.unknownTool;
  if (refused > 0) out.push(...wrap(`${plural(refused, 'call')} ended in another JSON-RPC error.`, width));
  return out;
}

/**
 * Decisions to show when there are too many: every one made during the incident
 * (and in the 5 s after it), the first two and the last two; the rest are counted.
 */
function shownDecisions<T extends { time: number }>(
  decisions: readonly T[],
  runStart: number,
  incident: { startMs: number; endMs: number } | undefined,
): Array<T | number> {
  if (decisions.length <= 8) return [...decisions];
  const during = (d: T) =>
    incident !== undefined &&
    d.time - runStart >= incident.startMs &&
    d.time - runStart <= incident.endMs + 5000;
  const keep = decisions.map((d, i) => i < 2 || i >= decisions.length - 2 || during(d));
  const shown: Array<T | number> = [];
  let skipped = 0;
  decisions.forEach((decision, i) => {
    if (keep[i]) {
      if (skipped > 0) shown.push(skipped);
      skipped = 0;
      shown.push(decision);
    } else skipped++;
  });
  if (skipped > 0) shown.push(skipped);
  return shown;
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
  out.push(...errorLines(status.tools, { ...input.workload, durationMs: input.durationMs }, width), '');

  out.push(status.anomalies.length === 1 ? 'Anomaly found' : `Anomalies found: ${status.anomalies.length}`);
  if (status.anomalies.length === 0)
    out.push(input.incident ? '  none' : '  none (the incident was off: run without --no-incident)');
  // The scripted incident is storage_fetch_record's: said once, under its first episode.
  let incidentSaid = false;
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
    if (input.incident && episode.key === 'storage/fetch_record' && !incidentSaid) {
      incidentSaid = true;
      out.push(
        `  (the scripted incident ran from ${formatSeconds(input.incident.startMs)} to ${formatSeconds(input.incident.endMs)})`,
      );
    }
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
  for (const decision of shownDecisions(decisions, runStart, input.incident)) {
    if (typeof decision === 'number') {
      out.push(`  … ${decision} more`);
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
    // The profile is of the whole process: for a tool that waits rather than computes, its hottest
    // functions are other tools' and say nothing about this one.
    const tool = status.tools.find((candidate) => candidate.key === profile.toolKey);
    if (tool && waits(tool)) {
      out.push(
        ...wrap(
          `  ${tool.name} waits rather than computes (${cpuPerCall(tool)} of CPU ` +
            `per call, p50 ${formatMs(tool.p50)}): a CPU profile cannot show what it waits on, and ` +
            'the hot functions in it belong to other tools. Look at what it calls.',
          width,
          '    ',
        ),
        '',
      );
      continue;
    }
    const hottest = profile.top
      .filter((fn) => !fn.functionName.startsWith('('))
      .slice(0, 3)
      .map((fn) => `${fn.functionName} ${(fn.selfShare * 100).toFixed(0)} %`);
    if (hottest.length > 0)
      out.push(...wrap(`  hottest in the process: ${hottest.join(', ')}`, width, '    '));
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
  // The CLI talks to a running instance: without --open this one is gone once the summary is out.
  if (!input.lingering)
    out.push('             (run the demo with --open to try them on it while it stays up)');
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
