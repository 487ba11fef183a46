import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  dashboardQueries,
  dashboards,
  exemplarQueries,
  type GrafanaDashboard,
  type GrafanaPanel,
  instrumentOf,
  interpolate,
  labelsOf,
  labelValuesQuery,
  PATHS,
  promqlUses,
  readYaml,
  recordingRules,
  ruleFiles,
} from './deployFiles.js';

/*
 * The Grafana dashboards cannot be loaded here (no Grafana), so they are checked
 * against the classic dashboard JSON model (the one file provisioning loads in
 * Grafana 12 and 13, schemaVersion 42) for the parts they use, and cross-checked
 * against the datasources, the recording rules and the metrics toolscope exports.
 * That every query returns data is proven against a real Prometheus in
 * prometheus-demo.test.ts.
 */

const datasourceRef = z.strictObject({ type: z.string(), uid: z.string() });
const target = z
  .object({ refId: z.string().regex(/^[A-Z]$/), datasource: datasourceRef, expr: z.string().min(1) })
  .catchall(z.unknown());
const link = z.object({ title: z.string().min(1), url: z.string().min(1) }).catchall(z.unknown());
const panelTypes = ['timeseries', 'stat', 'heatmap', 'state-timeline', 'bargauge', 'table'] as const;
const panel = z
  .object({
    id: z.number().int().positive(),
    type: z.enum(panelTypes),
    title: z.string().min(1),
    description: z.string().optional(),
    datasource: datasourceRef,
    gridPos: z.strictObject({
      x: z.number().int().min(0).max(23),
      y: z.number().int().min(0),
      w: z.number().int().min(1).max(24),
      h: z.number().int().min(1),
    }),
    targets: z.array(target).min(1),
    fieldConfig: z.object({
      defaults: z.object({ links: z.array(link).optional() }).catchall(z.unknown()),
      overrides: z.array(
        z.object({
          matcher: z.object({ id: z.string(), options: z.unknown() }),
          properties: z.array(z.object({ id: z.string(), value: z.unknown() })),
        }),
      ),
    }),
    options: z.record(z.string(), z.unknown()),
    transformations: z.array(z.object({ id: z.string(), options: z.unknown() })).optional(),
  })
  .strict();
const variable = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('datasource'), name: z.string(), query: z.literal('prometheus') })
    .catchall(z.unknown()),
  z
    .object({
      type: z.literal('query'),
      name: z.string(),
      datasource: datasourceRef,
      query: z.object({ query: z.string(), refId: z.string() }),
      definition: z.string(),
      refresh: z.union([z.literal(1), z.literal(2)]),
    })
    .catchall(z.unknown()),
  z.object({ type: z.literal('textbox'), name: z.string(), query: z.string() }).catchall(z.unknown()),
]);
const annotation = z.union([
  z
    .object({ builtIn: z.literal(1), datasource: z.object({ type: z.literal('grafana'), uid: z.string() }) })
    .catchall(z.unknown()),
  z
    .object({
      name: z.string(),
      datasource: datasourceRef,
      expr: z.string().min(1),
      enable: z.boolean(),
      iconColor: z.string(),
      titleFormat: z.string(),
    })
    .catchall(z.unknown()),
]);
const dashboardSchema = z
  .object({
    uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
    title: z.string().min(1),
    description: z.string(),
    tags: z.array(z.string()),
    editable: z.boolean(),
    graphTooltip: z.number().int().min(0).max(2),
    timezone: z.string(),
    time: z.object({ from: z.string(), to: z.string() }),
    refresh: z.string(),
    schemaVersion: z.literal(42),
    version: z.number().int(),
    fiscalYearStartMonth: z.number().int(),
    liveNow: z.boolean(),
    weekStart: z.string(),
    timepicker: z.record(z.string(), z.unknown()),
    links: z.array(
      z
        .object({ title: z.string(), type: z.enum(['link', 'dashboards']), url: z.string() })
        .catchall(z.unknown()),
    ),
    annotations: z.object({ list: z.array(annotation) }),
    templating: z.object({ list: z.array(variable) }),
    panels: z.array(panel).min(1),
  })
  .strict();

const provisionedDatasources = (
  readYaml(PATHS.grafanaDatasources) as { datasources: Array<{ uid: string; type: string }> }
).datasources;
const recorded = new Set(recordingRules().map((rule) => rule.record));
/** Labels of each recorded series: its `by` clause(s) plus the labels the rule adds. */
const recordedLabels = new Map<string, Set<string>>();
for (const rule of recordingRules()) {
  const labels = recordedLabels.get(rule.record) ?? new Set<string>();
  for (const label of promqlUses(rule.expr).groupingLabels) if (label !== 'le') labels.add(label);
  for (const label of Object.keys(rule.labels)) labels.add(label);
  recordedLabels.set(rule.record, labels);
}
// Rules that read other recorded series inherit their labels (baseline_input ← quantile_rate5m, …).
for (let pass = 0; pass < 3; pass++)
  for (const rule of recordingRules())
    for (const { metric } of promqlUses(rule.expr).selectors)
      for (const label of recordedLabels.get(metric) ?? []) recordedLabels.get(rule.record)?.add(label);
const alertLabels = new Set([
  'alertname',
  'alertstate',
  'severity',
  ...[...ruleFiles().values()].flatMap((file) =>
    file.groups.flatMap((group) =>
      group.rules.flatMap((rule) => (rule.alert ? promqlUses(rule.expr).groupingLabels : [])),
    ),
  ),
  'toolscope_service',
  'gen_ai_tool_name',
  'toolscope_pool',
  'instance',
  'job',
  'quantile',
]);

/** Values for every Grafana variable the dashboards use, so a query can be parsed as PromQL. */
const SAMPLE_VALUES = {
  datasource: 'prometheus',
  service: 'storage',
  tool: 'fetch_record',
  jaeger_url: 'http://localhost:16686',
  jaeger_service: 'toolscope',
  __rate_interval: '1m',
  __interval: '15s',
  __range: '30m',
};

function panelsOf(dashboard: GrafanaDashboard): GrafanaPanel[] {
  return dashboard.panels;
}

const all = dashboards();

describe('Grafana dashboards', () => {
  it('ships the overview and the tool drill-down', () => {
    expect([...all.keys()]).toEqual(['toolscope-overview.json', 'toolscope-tool.json']);
  });

  for (const [file, dashboard] of all) {
    describe(file, () => {
      it('matches the classic dashboard model that Grafana file provisioning loads', () => {
        const result = dashboardSchema.safeParse(dashboard);
        expect(result.success ? [] : result.error.issues).toEqual([]);
      });

      it('has unique panel ids and panels that fit the 24-column grid without overlapping', () => {
        const panels = panelsOf(dashboard);
        expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
        const cells = new Map<string, string>();
        for (const p of panels) {
          expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
          for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
            for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
              const key = `${x},${y}`;
              expect(cells.get(key), `${p.title} overlaps ${cells.get(key)}`).toBeUndefined();
              cells.set(key, p.title);
            }
        }
      });

      it('points every query at a datasource that exists', () => {
        const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
        const check = (ref: { type?: string; uid?: string } | undefined, where: string) => {
          expect(ref, where).toBeDefined();
          const uid = ref?.uid ?? '';
          const variableName = /^\$\{?([a-z_]+)\}?$/.exec(uid)?.[1];
          if (variableName) {
            const v = variables.get(variableName);
            expect(v?.type, `${where}: ${uid} is not a datasource variable`).toBe('datasource');
            // The variable's default is a provisioned datasource of the same type.
            const current = (v?.current as { value?: string } | undefined)?.value;
            expect(
              provisionedDatasources.find((ds) => ds.uid === current)?.type,
              `${where}: default ${current}`,
            ).toBe(ref?.type);
          } else {
            expect(
              provisionedDatasources.find((ds) => ds.uid === uid)?.type,
              `${where}: datasource uid ${uid} is not provisioned`,
            ).toBe(ref?.type);
          }
        };
        for (const p of panelsOf(dashboard)) {
          check(p.datasource, p.title);
          for (const t of p.targets ?? []) check(t.datasource, `${p.title} › ${t.refId}`);
        }
        for (const v of dashboard.templating.list)
          if (v.type === 'query')
            check(v.datasource as { type?: string; uid?: string }, `variable ${v.name}`);
        for (const a of dashboard.annotations.list)
          if (!a.builtIn) check(a.datasource, `annotation ${a.name}`);
      });

      it('uses only variables it defines', () => {
        const defined = new Set([
          ...dashboard.templating.list.map((v) => v.name),
          '__rate_interval',
          '__interval',
          '__range',
          '__from',
          '__to',
        ]);
        const texts = [
          ...dashboardQueries(dashboard).map((q) => q.expr),
          ...dashboard.templating.list.map((v) => (v.type === 'query' ? (v.definition ?? '') : '')),
          ...dashboard.links.map((l) => l.url ?? ''),
        ];
        for (const text of texts)
          for (const match of text.matchAll(/\$\{([A-Za-z0-9_]+)[^}]*\}|\$([A-Za-z0-9_]+)/g)) {
            const name = (match[1] ?? match[2]) as string;
            expect(defined.has(name), `$${name} in ${text}`).toBe(true);
          }
      });

      it('queries only metrics toolscope exports, series the recording rules produce, and their labels', () => {
        for (const query of dashboardQueries(dashboard)) {
          const uses = promqlUses(interpolate(query.expr, SAMPLE_VALUES));
          expect(uses.selectors.length, query.where).toBeGreaterThan(0);
          for (const { metric, labels } of uses.selectors) {
            if (metric === 'ALERTS') {
              for (const label of labels)
                expect(alertLabels.has(label), `${query.where}: ${label}`).toBe(true);
              continue;
            }
            if (recorded.has(metric)) {
              for (const label of labels)
                expect(recordedLabels.get(metric)?.has(label), `${query.where}: ${metric}{${label}}`).toBe(
                  true,
                );
              continue;
            }
            const instrument = instrumentOf(metric);
            expect(instrument, `${query.where}: ${metric} is not a toolscope metric`).toBeDefined();
            const allowed = labelsOf(instrument as string);
            for (const label of labels)
              expect(allowed.has(label), `${query.where}: ${metric} has no label ${label}`).toBe(true);
          }
        }
      });

      it('asks its variables for toolscope series', () => {
        for (const v of dashboard.templating.list) {
          if (v.type !== 'query') continue;
          const { selector, label } = labelValuesQuery(v.definition as string);
          expect((v.query as { query: string }).query).toBe(v.definition);
          const [{ metric } = { metric: '' }] = promqlUses(interpolate(selector, SAMPLE_VALUES)).selectors;
          expect(labelsOf(instrumentOf(metric) as string).has(label), `${v.name}: ${metric} ${label}`).toBe(
            true,
          );
        }
      });

      it('links to the tool’s traces in Jaeger', () => {
        const urls = [
          ...dashboard.links.map((l) => l.url ?? ''),
          ...panelsOf(dashboard).flatMap((p) => (p.fieldConfig?.defaults?.links ?? []).map((l) => l.url)),
        ].filter((url) => url.startsWith('${jaeger_url}/search?'));
        expect(urls.length).toBeGreaterThan(0);
        for (const url of urls) {
          const parsed = new URL(
            interpolate(url, {
              ...SAMPLE_VALUES,
              __from: '1700000000000',
              __to: '1700000600000',
            }).replace(/\$\{__[a-z_.]+\}/g, 'x'),
          );
          expect(parsed.pathname).toBe('/search');
          expect(parsed.searchParams.get('service')).toBe('toolscope');
          // Jaeger wants microseconds; Grafana's $__from is milliseconds.
          expect(parsed.searchParams.get('start')).toBe('1700000000000000');
          if (parsed.searchParams.has('tags'))
            expect(() => JSON.parse(parsed.searchParams.get('tags') as string)).not.toThrow();
        }
      });
    });
  }

  it('shows exemplars on the latency panels: the p99 of every duration histogram, straight from its buckets', () => {
    const exprs = [...all.values()].flatMap((dashboard) => exemplarQueries(dashboard).map((q) => q.expr));
    for (const metric of [
      'toolscope_call_duration_seconds_bucket',
      'mcp_client_operation_duration_seconds_bucket',
      'mcp_server_operation_duration_seconds_bucket',
    ])
      expect(
        exprs.some((expr) => expr.includes(metric)),
        metric,
      ).toBe(true);
    // Recording rules keep no exemplars: an exemplar query must select the raw buckets.
    for (const expr of exprs) {
      const metrics = promqlUses(expr).selectors.map((s) => s.metric);
      expect(
        metrics.every((metric) => metric.endsWith('_duration_seconds_bucket')),
        expr,
      ).toBe(true);
    }
  });

  it('the drill-down has service and tool variables, the charts the issue asks for, and anomaly annotations', () => {
    const tool = all.get('toolscope-tool.json') as GrafanaDashboard;
    expect(tool.templating.list.map((v) => v.name)).toEqual(
      expect.arrayContaining(['datasource', 'service', 'tool']),
    );
    expect(tool.panels.find((p) => p.type === 'heatmap')?.targets?.[0]?.format).toBe('heatmap');
    const exprs = dashboardQueries(tool).map((q) => q.expr);
    for (const metric of [
      'toolscope_cpu_user_time_seconds',
      'toolscope_heap_allocated_bytes',
      'toolscope_anomaly_score',
      'toolscope_pool_limit',
      'toolscope_pool_in_flight',
      'toolscope_pool_queue_depth',
      'toolscope_breaker_state',
      'toolscope_tuning_decisions_total',
    ])
      expect(
        exprs.some((expr) => expr.includes(metric)),
        metric,
      ).toBe(true);
    expect(tool.annotations.list.some((a) => a.expr?.includes('toolscope_anomaly_active'))).toBe(true);
  });

  it('the overview shows calls/s, errors, p50/p95/p99 per tool and upstream health', () => {
    const overview = all.get('toolscope-overview.json') as GrafanaDashboard;
    const exprs = dashboardQueries(overview).map((q) => q.expr);
    for (const needle of [
      'rate(toolscope_call_duration_seconds_count',
      'error_type!=""',
      'quantile="0.5"',
      'quantile="0.95"',
      // p99 straight from the buckets, which keep the exemplars
      'histogram_quantile(0.99',
      'toolscope_upstream_up',
    ])
      expect(
        exprs.some((expr) => expr.includes(needle)),
        needle,
      ).toBe(true);
  });
});

describe('Grafana provisioning', () => {
  it('provisions the Prometheus and Jaeger datasources the dashboards refer to', () => {
    const schema = z.strictObject({
      apiVersion: z.literal(1),
      datasources: z.array(
        z.strictObject({
          name: z.string(),
          uid: z.string(),
          type: z.enum(['prometheus', 'jaeger']),
          access: z.literal('proxy'),
          url: z.url(),
          isDefault: z.boolean().optional(),
          editable: z.boolean(),
          jsonData: z.record(z.string(), z.unknown()).optional(),
        }),
      ),
    });
    const file = schema.parse(readYaml(PATHS.grafanaDatasources));
    expect(file.datasources.map((ds) => [ds.uid, ds.type])).toEqual([
      ['prometheus', 'prometheus'],
      ['jaeger', 'jaeger'],
    ]);
    expect(file.datasources.filter((ds) => ds.isDefault)).toHaveLength(1);
    // An exemplar's trace_id (the label toolscope's OpenMetrics gives it) opens the trace in Jaeger.
    const prometheus = file.datasources.find((ds) => ds.type === 'prometheus');
    expect(prometheus?.jsonData?.exemplarTraceIdDestinations).toEqual([
      expect.objectContaining({ name: 'trace_id', datasourceUid: 'jaeger' }),
    ]);
  });

  it('loads the dashboards from a file provider', () => {
    const schema = z.strictObject({
      apiVersion: z.literal(1),
      providers: z
        .array(
          z.strictObject({
            name: z.string(),
            folder: z.string(),
            type: z.literal('file'),
            disableDeletion: z.boolean(),
            allowUiUpdates: z.boolean(),
            updateIntervalSeconds: z.number().int().positive(),
            options: z.strictObject({ path: z.string().startsWith('/') }),
          }),
        )
        .length(1),
    });
    schema.parse(readYaml(PATHS.grafanaDashboards));
  });
});
