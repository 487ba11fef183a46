import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { METRIC_LABELS } from '../../src/telemetry/index.js';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const PATHS = {
  compose: join(ROOT, 'docker-compose.yml'),
  dockerfile: join(ROOT, 'Dockerfile'),
  collector: join(ROOT, 'otel-collector.yaml'),
  prometheus: join(ROOT, 'collector/prometheus.yml'),
  rulesDir: join(ROOT, 'collector/rules'),
  ruleTestsDir: join(ROOT, 'collector/tests'),
  grafanaDatasources: join(ROOT, 'collector/grafana/provisioning/datasources/toolscope.yml'),
  grafanaDashboards: join(ROOT, 'collector/grafana/provisioning/dashboards/toolscope.yml'),
  dashboardsDir: join(ROOT, 'dashboards'),
} as const;

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export function readYaml(path: string): unknown {
  return parseYaml(readText(path));
}

/** Files of a directory with the given extension, as absolute paths, sorted. */
export function filesIn(dir: string, extension: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(extension))
    .sort()
    .map((name) => join(dir, name));
}

// ── Prometheus rules ──

export interface RuleFile {
  groups: Array<{
    name: string;
    interval?: string;
    rules: Array<{
      record?: string;
      alert?: string;
      expr: string;
      for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }>;
  }>;
}

/** The shipped rule files, by file name. */
export function ruleFiles(): Map<string, RuleFile> {
  return new Map(filesIn(PATHS.rulesDir, '.yml').map((path) => [basename(path), readYaml(path) as RuleFile]));
}

/** Every recording rule: its series name and the labels it adds. */
export function recordingRules(): Array<{ record: string; labels: Record<string, string>; expr: string }> {
  return [...ruleFiles().values()].flatMap((file) =>
    file.groups.flatMap((group) =>
      group.rules.flatMap((rule) =>
        rule.record ? [{ record: rule.record, labels: rule.labels ?? {}, expr: rule.expr }] : [],
      ),
    ),
  );
}

export function alertingRules(): Array<{ alert: string; expr: string; for?: string }> {
  return [...ruleFiles().values()].flatMap((file) =>
    file.groups.flatMap((group) =>
      group.rules.flatMap((rule) =>
        rule.alert ? [{ alert: rule.alert, expr: rule.expr, for: rule.for }] : [],
      ),
    ),
  );
}

// ── Metric names toolscope exports ──

const UNIT_SUFFIXES = ['', '_seconds', '_bytes', '_ratio'];
const SERIES_SUFFIXES = ['', '_total', '_bucket', '_count', '_sum'];

/**
 * The instrument a Prometheus series name belongs to, or undefined when it is not
 * one toolscope records: the name is an instrument of METRIC_LABELS with dots as
 * underscores, a unit suffix and a series suffix (`_total`, `_bucket`, …).
 */
export function instrumentOf(seriesName: string): string | undefined {
  for (const instrument of Object.keys(METRIC_LABELS)) {
    const base = instrument.replace(/\./g, '_');
    for (const unit of UNIT_SUFFIXES)
      for (const suffix of SERIES_SUFFIXES) if (`${base}${unit}${suffix}` === seriesName) return instrument;
  }
  return undefined;
}

/** Label names a series of this instrument may carry on toolscope's /metrics. */
export function labelsOf(instrument: string): Set<string> {
  return new Set([
    ...(METRIC_LABELS[instrument] ?? []).map((label) => label.replace(/\./g, '_')),
    'le',
    'job',
    'instance',
    'otel_scope_name',
    'otel_scope_version',
  ]);
}

// ── PromQL, just enough to find the metrics and labels a query uses ──

export interface PromqlUse {
  /** Metric names, each with the label names of its own selector. */
  selectors: Array<{ metric: string; labels: string[] }>;
  /** Label names in by/without/on/ignoring/group_left/group_right lists. */
  groupingLabels: string[];
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Metric selectors and grouping labels of a PromQL expression (Grafana variables already replaced). */
export function promqlUses(expr: string): PromqlUse {
  const selectors: PromqlUse['selectors'] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < expr.length && /\s/.test(expr[i] as string)) i++;
  };
  const readString = () => {
    const quote = expr[i];
    i++;
    while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' ? 2 : 1;
    i++;
  };
  const readMatchers = (): string[] => {
    const names: string[] = [];
    i++; // {
    while (i < expr.length && expr[i] !== '}') {
      skipSpace();
      const match = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(expr.slice(i));
      if (match) {
        names.push(match[0]);
        i += match[0].length;
      }
      skipSpace();
      while (i < expr.length && /[=!~]/.test(expr[i] as string)) i++;
      skipSpace();
      if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') readString();
      skipSpace();
      if (expr[i] === ',') i++;
      else if (expr[i] !== '}') throw new Error(`cannot read the label matchers of: ${expr}`);
    }
    i++; // }
    return names;
  };
  while (i < expr.length) {
    const c = expr[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      readString();
      continue;
    }
    if (c === '[') {
      while (i < expr.length && expr[i] !== ']') i++;
      i++;
      continue;
    }
    if (c === '{') {
      selectors.push({ metric: '', labels: readMatchers() });
      continue;
    }
    const ident = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i));
    if (ident && !/[0-9.]/.test(expr[i - 1] ?? ' ')) {
      const word = ident[0];
      i += word.length;
      skipSpace();
      if (GROUPING.has(word)) {
        if (expr[i] === '(') {
          const close = expr.indexOf(')', i);
          groupingLabels.push(
            ...expr
              .slice(i + 1, close)
              .split(',')
              .map((label) => label.trim())
              .filter(Boolean),
          );
          i = close + 1;
        }
        continue;
      }
      // A function call, an operator keyword, or an aggregation written `sum by (…) (…)`.
      const next = /^[a-z_]+/.exec(expr.slice(i))?.[0] ?? '';
      if (expr[i] === '(' || KEYWORDS.has(word.toLowerCase()) || GROUPING.has(next)) continue;
      selectors.push({ metric: word, labels: expr[i] === '{' ? readMatchers() : [] });
      continue;
    }
    i++;
  }
  return { selectors, groupingLabels };
}

// ── Grafana dashboards ──

export interface GrafanaTarget {
  refId: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  [key: string]: unknown;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: GrafanaTarget[];
  fieldConfig?: { defaults?: { links?: Array<{ title: string; url: string }> } };
  [key: string]: unknown;
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: GrafanaPanel[];
  templating: {
    list: Array<{ name: string; type: string; query?: unknown; definition?: string; [key: string]: unknown }>;
  };
  annotations: {
    list: Array<{
      name: string;
      expr?: string;
      datasource?: { type?: string; uid?: string };
      builtIn?: number;
    }>;
  };
  links: Array<{ title: string; type: string; url?: string }>;
  [key: string]: unknown;
}

/** The shipped dashboards, by file name. */
export function dashboards(): Map<string, GrafanaDashboard> {
  return new Map(
    filesIn(PATHS.dashboardsDir, '.json').map((path) => [
      basename(path),
      JSON.parse(readText(path)) as GrafanaDashboard,
    ]),
  );
}

/**
 * Replace Grafana variables in a query the way Grafana would before sending it:
 * `$name`, `${name}` and `${name:format}` (regex, percentencode, raw) from `values`,
 * plus the interval macros.
 */
export function interpolate(text: string, values: Record<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z0-9_]+)(?::([a-z]+))?\}|\$([A-Za-z0-9_]+)/g,
    (whole, braced: string | undefined, format: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      const value = values[name];
      if (value === undefined) throw new Error(`no value for Grafana variable ${whole} in: ${text}`);
      if (format === 'regex') return value.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
      if (format === 'percentencode') return encodeURIComponent(value);
      return value;
    },
  );
}

/** Every PromQL query of a dashboard: panel targets and annotations. */
export function dashboardQueries(
  dashboard: GrafanaDashboard,
): Array<{ where: string; expr: string; format?: string }> {
  const queries: Array<{ where: string; expr: string; format?: string }> = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr === 'string')
        queries.push({
          where: `${dashboard.uid} › ${panel.title} › ${target.refId}`,
          expr: target.expr,
          ...(typeof target.format === 'string' ? { format: target.format } : {}),
        });
    }
  }
  for (const annotation of dashboard.annotations.list) {
    if (typeof annotation.expr === 'string')
      queries.push({ where: `${dashboard.uid} › annotation ${annotation.name}`, expr: annotation.expr });
  }
  return queries;
}

/** The panel targets that ask Grafana for exemplars (`exemplar: true`): the latency panels. */
export function exemplarQueries(dashboard: GrafanaDashboard): Array<{ where: string; expr: string }> {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? [])
      .filter((target) => target.exemplar === true && typeof target.expr === 'string')
      .map((target) => ({
        where: `${dashboard.uid} › ${panel.title} › ${target.refId}`,
        expr: target.expr as string,
      })),
  );
}

/** The `--enable-feature=…` flags the compose file gives Prometheus. */
export function prometheusFeatureFlags(): string[] {
  const compose = readYaml(PATHS.compose) as { services: Record<string, { command?: string[] }> };
  return (compose.services.prometheus?.command ?? []).filter((flag) => flag.startsWith('--enable-feature='));
}

/** `label_values(selector, label)` of a query variable, parsed. */
export function labelValuesQuery(query: string): { selector: string; label: string } {
  const match = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(query.trim());
  if (!match) throw new Error(`not a label_values() query: ${query}`);
  return { selector: match[1] as string, label: match[2] as string };
}
